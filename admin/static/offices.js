// The offices page: the offices one looks after, with their pages; an administrator adds
// an office, and checks and imports a province file (shown problem by problem, with its
// file and line).
import { apiError, apiFetch, csrfToken } from "/static/nobat-api.js";
import { el, named } from "/static/nobat-dom.js";
import { persianDigits } from "/static/nobat-format.js";
import { emptied, row, save, say, text } from "/admin/static/forms.js";

const root = document.getElementById("admin");
const { lang } = root.dataset;
const TEXT = JSON.parse(root.dataset.text);
const $ = (id) => document.getElementById(id);
const CODE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/;
const digits = (value) => (lang === "fa" ? persianDigits(String(value)) : String(value));
const t = (key, vars = {}) => TEXT[key].replace(/\{(\w+)\}/g, (_, name) => vars[name] ?? "");
const inLang = lang === "fa" ? "" : `?lang=${lang}`;

let offices = [];

async function load() {
  const answer = await apiFetch("/api/v1/offices", { lang }).catch(() => null);
  if (!answer || !answer.ok) {
    $("load-error").textContent = TEXT.loading_failed;
    $("load-error").hidden = false;
    return;
  }
  offices = await answer.json();
  show();
}

function link(href, label) {
  const a = el("a", "", label);
  a.href = href + inLang;
  return a;
}

function show() {
  const wanted = $("filter").value.trim().toLowerCase();
  const rows = $("office-rows");
  const shown = offices.filter((o) =>
    !wanted || [o.code, o.name_fa, o.name_en].some((v) => v.toLowerCase().includes(wanted)));
  emptied(rows, 4, TEXT.none_yet, shown.length);
  for (const o of shown.slice(0, 500)) {
    const pages = el("span", "pages-cell");
    const code = encodeURIComponent(o.code);
    pages.append(
      link(`/admin/${code}/setup`, TEXT.setup), " · ",
      link(`/admin/${code}/staff`, TEXT.staff), " · ",
      link(`/admin/${code}/devices`, TEXT.devices), " · ",
      link(`/manager/${code}`, TEXT.dashboard),
    );
    const tr = row([named("", lang === "fa" ? o.name_fa : o.name_en), el("code", "", o.code), o.timezone, pages]);
    tr.dataset.code = o.code;
    rows.append(tr);
  }
}

$("filter").addEventListener("input", show);

const officeForm = $("office-form");
if (officeForm) {
  officeForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const code = text(officeForm, "code") || "";
    if (!CODE.test(code)) {
      say(officeForm, "code", TEXT.code_format);
      return;
    }
    if (offices.some((o) => o.code === code)) {
      say(officeForm, "code", TEXT.taken);
      return;
    }
    const body = Object.fromEntries(
      ["name_fa", "name_en", "timezone", "routing_policy"].map((name) => [name, text(officeForm, name)]),
    );
    const saved = await save(officeForm, `/api/v1/offices/${encodeURIComponent(code)}`, body, {
      lang, failed: TEXT.failed,
    });
    if (!saved) return;
    officeForm.reset();
    $("status").textContent = t("created", { name: lang === "fa" ? saved.record.name_fa : saved.record.name_en });
    await load();
  });
}

// --- province files -----------------------------------------------------------------------

function total(summary, action) {
  return Object.values(summary).reduce((sum, kind) => sum + kind[action], 0);
}

function report(result) {
  const box = $("province-result");
  box.replaceChildren();
  const counts = { create: digits(total(result.summary, "create")), change: digits(total(result.summary, "change")) };
  box.append(el("p", "status", t(result.applied ? "imported" : "checked", counts)));
  if (result.passwords.length) {
    box.append(el("p", "", TEXT.passwords));
    const list = el("ul", "passwords");
    for (const { username, password } of result.passwords) {
      const item = el("li");
      item.dir = "ltr";
      item.append(el("code", "", username), " ", el("code", "", password));
      list.append(item);
    }
    box.append(list);
  }
}

function problems(error) {
  const box = $("province-result");
  box.replaceChildren(el("p", "error", error.message || TEXT.problems));
  const list = el("ol", "problems");
  for (const p of (error.details && error.details.problems) || []) {
    const item = el("li");
    item.append(el("code", "", `${p.file}:${digits(p.line)}`), " ", el("span", "", p.message));
    list.append(item);
  }
  box.append(list);
}

const provinceForm = $("province-form");
if (provinceForm) {
  provinceForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const file = provinceForm.elements.file.files[0];
    say(provinceForm, "file", file ? "" : TEXT.file_required);
    if (!file) return;
    const dryRun = event.submitter && event.submitter.value === "check";
    const body = new FormData();
    body.append("file", file);
    const url = `/api/v1/province/import?lang=${lang}${dryRun ? "&dry_run=true" : ""}`;
    provinceForm.setAttribute("aria-busy", "true");
    const answer = await fetch(url, {
      method: "POST",
      body,
      headers: { Accept: "application/json", "X-CSRF-Token": csrfToken() },
      credentials: "same-origin",
    }).catch(() => null);
    provinceForm.setAttribute("aria-busy", "false");
    if (answer && answer.ok) {
      report(await answer.json());
      if (!dryRun) await load();
      return;
    }
    problems(answer ? await apiError(answer) : { message: TEXT.failed });
  });
}

load();
