// The office's set-up page: the office (administrators change it), its services and its
// counters, each added or changed in a dialog and saved through the API as one record.
import { apiFetch } from "/static/nobat-api.js";
import { el, named } from "/static/nobat-dom.js";
import { persianDigits } from "/static/nobat-format.js";
import { emptied, latinDigits, openDialog, row, save, say, text } from "/admin/static/forms.js";

const root = document.getElementById("admin");
const { lang, office } = root.dataset;
const TEXT = JSON.parse(root.dataset.text);
const $ = (id) => document.getElementById(id);
const BASE = `/api/v1/offices/${encodeURIComponent(office)}`;
const digits = (value) => (lang === "fa" ? persianDigits(String(value)) : String(value));
const t = (key, vars = {}) => TEXT[key].replace(/\{(\w+)\}/g, (_, name) => vars[name] ?? "");
const CODE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/;
const nameOf = (record) => (lang === "fa" ? record.name_fa || record.name : record.name_en || record.name);

let current = { office: null, services: [], counters: [] };

function status(message) {
  $("status").textContent = message;
}

async function load() {
  const answer = await apiFetch(`${BASE}/setup`, { lang }).catch(() => null);
  if (!answer || !answer.ok) {
    $("load-error").textContent = TEXT.loading_failed;
    $("load-error").hidden = false;
    return;
  }
  current = await answer.json();
  $("load-error").hidden = true;
  showOffice(current.office);
  showServices(current.services);
  showCounters(current.counters);
}

// --- the office -------------------------------------------------------------------------

function showOffice(record) {
  const form = $("office-form");
  for (const name of ["name_fa", "name_en", "timezone", "routing_policy"]) {
    form.elements[name].value = record[name];
  }
}

$("office-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  const body = Object.fromEntries(
    ["name_fa", "name_en", "timezone", "routing_policy"].map((name) => [name, text(form, name)]),
  );
  const saved = await save(form, BASE, body, { lang, failed: TEXT.failed });
  if (saved) status(TEXT.saved);
});

// --- services ---------------------------------------------------------------------------

function changeButton(label, open) {
  const button = el("button", "quiet", TEXT.change);
  button.type = "button";
  button.setAttribute("aria-label", label);
  button.addEventListener("click", open);
  return button;
}

function showServices(services) {
  const rows = $("service-rows");
  emptied(rows, 8, TEXT.none_yet, services.length);
  for (const s of services) {
    const tr = row([
      el("strong", "", s.letter),
      named("", nameOf(s)),
      el("code", "", s.code),
      t("minutes", { n: digits(Math.round(s.target_wait_seconds / 60)) }),
      s.daily_cap == null ? TEXT.no_cap : digits(s.daily_cap),
      s.opens_at ? digits(`${s.opens_at}–${s.closes_at || "…"}`) : TEXT.all_day,
      s.active ? TEXT.active : TEXT.inactive,
      changeButton(t("change_named", { name: nameOf(s) }), () => editService(s)),
    ]);
    tr.dataset.code = s.code;
    rows.append(tr);
  }
}

function editService(record) {
  const form = $("service-form");
  openDialog($("service-dialog"), form, () => {
    $("service-title").textContent = record ? t("edit_service", { name: nameOf(record) }) : TEXT.add_service;
    form.elements.code.readOnly = Boolean(record);
    const values = record || { active: true, target_wait_seconds: 900 };
    for (const name of ["code", "letter", "name_fa", "name_en", "group", "opens_at", "closes_at"]) {
      form.elements[name].value = values[name] || "";
    }
    form.elements.target_wait_seconds.value = Math.round(values.target_wait_seconds / 60);
    form.elements.daily_cap.value = values.daily_cap ?? "";
    form.elements.active.checked = values.active;
  });
}

$("add-service").addEventListener("click", () => editService(null));

$("service-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  const minutes = latinDigits(form.elements.target_wait_seconds.value.trim());
  if (!/^[0-9]+$/.test(minutes) || Number(minutes) < 1) {
    say(form, "target_wait_seconds", TEXT.minutes_whole);
    return;
  }
  // The code is the service's address: the page checks it; the server checks the rest.
  const code = text(form, "code") || "";
  if (!CODE.test(code)) {
    say(form, "code", TEXT.code_format);
    return;
  }
  const body = {
    letter: text(form, "letter"),
    group: text(form, "group"),
    name_fa: text(form, "name_fa"),
    name_en: text(form, "name_en"),
    target_wait_seconds: Number(minutes) * 60,
    daily_cap: text(form, "daily_cap"),
    opens_at: text(form, "opens_at"),
    closes_at: text(form, "closes_at"),
    active: form.elements.active.checked,
  };
  const path = `${BASE}/services/${encodeURIComponent(code)}`;
  const saved = await save(form, path, body, { lang, failed: TEXT.failed });
  if (!saved) return;
  $("service-dialog").close();
  status(TEXT.saved);
  await load();
});

// --- counters ---------------------------------------------------------------------------

function servesText(counter) {
  return counter.services
    .map((link) => {
      const service = current.services.find((s) => s.code === link.service);
      const name = service ? nameOf(service) : link.service;
      return link.tier === 1 ? name : `${name} (${t("tier", { n: digits(link.tier) })})`;
    })
    .join(lang === "fa" ? "، " : ", ");
}

function showCounters(counters) {
  const rows = $("counter-rows");
  emptied(rows, 4, TEXT.none_yet, counters.length);
  for (const c of counters) {
    const name = lang === "fa" ? c.name : c.name_en;
    const tr = row([
      digits(c.number),
      named("", name),
      servesText(c),
      changeButton(t("change_named", { name }), () => editCounter(c)),
    ]);
    tr.dataset.number = c.number;
    rows.append(tr);
  }
}

function tierChoices(links) {
  const box = $("counter-services");
  box.replaceChildren();
  if (!current.services.length) box.append(el("p", "note", TEXT.no_services));
  for (const s of current.services) {
    const link = links.find((l) => l.service === s.code);
    const line = el("div", "tier-line");
    const label = el("label");
    const check = el("input");
    check.type = "checkbox";
    check.name = "serves";
    check.value = s.code;
    check.checked = Boolean(link);
    label.append(check, " ", named("", nameOf(s)));
    const tier = el("select");
    tier.name = `tier-${s.code}`;
    tier.setAttribute("aria-label", t("tier", { n: "" }).trim() + " · " + nameOf(s));
    for (let n = 1; n <= 3; n += 1) {
      const option = el("option", "", t("tier", { n: digits(n) }));
      option.value = String(n);
      tier.append(option);
    }
    tier.value = String(link ? link.tier : 1);
    line.append(label, tier);
    box.append(line);
  }
}

function editCounter(record) {
  const form = $("counter-form");
  openDialog($("counter-dialog"), form, () => {
    const name = record ? (lang === "fa" ? record.name : record.name_en) : "";
    $("counter-title").textContent = record ? t("edit_counter", { name }) : TEXT.add_counter;
    form.elements.number.readOnly = Boolean(record);
    const next = Math.max(0, ...current.counters.map((c) => c.number)) + 1;
    form.elements.number.value = record ? record.number : next;
    form.elements.name.value = record ? record.name : "";
    form.elements.name_en.value = record ? record.name_en : "";
    tierChoices(record ? record.services : []);
  });
}

$("add-counter").addEventListener("click", () => editCounter(null));

$("counter-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  const number = latinDigits(form.elements.number.value.trim());
  const services = [...form.querySelectorAll("input[name=serves]:checked")].map((box) => ({
    service: box.value,
    tier: Number(form.elements[`tier-${box.value}`].value),
  }));
  const body = { name: text(form, "name"), name_en: text(form, "name_en"), services };
  if (!/^[0-9]{1,3}$/.test(number) || Number(number) < 1) {
    say(form, "number", t("counter_number"));
    return;
  }
  const saved = await save(form, `${BASE}/counters/${Number(number)}`, body, { lang, failed: TEXT.failed });
  if (!saved) return;
  $("counter-dialog").close();
  status(TEXT.saved);
  await load();
});

for (const button of document.querySelectorAll("dialog [data-close]")) {
  button.addEventListener("click", () => button.closest("dialog").close());
}

load();
