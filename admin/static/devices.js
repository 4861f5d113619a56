// The devices page: approve a pairing code (kind and name), list the office's devices with
// when each was last seen and a kiosk's printer, and revoke one after a confirmation.
//
// Everything goes through the API with the session cookie; apiFetch adds the CSRF token
// to every change. Each field's mistake is said next to it, in the page's language.
import { apiError, apiFetch } from "/static/nobat-api.js";
import { el } from "/static/nobat-dom.js";
import { formatter } from "/static/nobat-format.js";

const root = document.getElementById("admin");
const { lang, office } = root.dataset;
const fmt = formatter(lang, root.dataset.timezone || "Asia/Tehran");
const TEXT = JSON.parse(root.dataset.text);
const $ = (id) => document.getElementById(id);
const BASE = `/api/v1/offices/${encodeURIComponent(office)}/devices`;
const LATIN = { "۰": 0, "۱": 1, "۲": 2, "۳": 3, "۴": 4, "۵": 5, "۶": 6, "۷": 7, "۸": 8, "۹": 9,
  "٠": 0, "١": 1, "٢": 2, "٣": 3, "٤": 4, "٥": 5, "٦": 6, "٧": 7, "٨": 8, "٩": 9 };

function t(key, vars = {}) {
  return (TEXT[key] ?? key).replace(/\{(\w+)\}/g, (_, name) => (name in vars ? String(vars[name]) : ""));
}

/** A time as the page shows it: the date and the clock, in the office's zone. */
function when(iso) {
  if (!iso) return t("never");
  const date = new Date(iso);
  return `${fmt.dateText(date)} ${fmt.timeText(date)}`;
}

// --- the form ---------------------------------------------------------------------------

const FIELDS = { code: "pair-code", kind: "pair-kind", name: "pair-name" };

function fieldError(field, message) {
  const box = $(`${FIELDS[field]}-error`);
  box.textContent = message || "";
  box.hidden = !message;
  const input = field === "kind" ? null : $(FIELDS[field]);
  if (input) input.setAttribute("aria-invalid", message ? "true" : "false");
}

/** The form's values, or null after saying what is wrong with each field. */
function readForm() {
  const form = $("pair-form");
  const code = form.code.value.replace(/[۰-۹٠-٩]/g, (d) => LATIN[d]).replace(/\s+/g, "");
  const kind = form.kind.value;
  const name = form.name.value.trim();
  const problems = {
    code: !code ? t("code_required") : /^[0-9]{6}$/.test(code) ? "" : t("code_digits"),
    kind: ["kiosk", "display"].includes(kind) ? "" : t("kind_required"),
    name: !name ? t("name_required") : name.length > 100 ? t("name_long") : "",
  };
  for (const [field, message] of Object.entries(problems)) fieldError(field, message);
  const first = Object.keys(problems).find((field) => problems[field]);
  if (first) {
    if (first !== "kind") $(FIELDS[first]).focus();
    return null;
  }
  return { code, kind, name };
}

async function pair(event) {
  event.preventDefault();
  $("pair-status").textContent = "";
  const body = readForm();
  if (!body) return;
  $("pair-submit").disabled = true;
  try {
    const response = await apiFetch(`${BASE}/pair`, { method: "POST", body, lang });
    if (response.status === 401) throw new Error(t("refused"));
    if (!response.ok) {
      const error = await apiError(response);
      if (error.code === "pairing_kind") fieldError("kind", error.message);
      else if (error.code.startsWith("pairing_")) fieldError("code", error.message);
      else if (error.details && typeof error.details === "object" && !Array.isArray(error.details)) {
        for (const field of Object.keys(error.details)) {
          if (field in FIELDS) fieldError(field, t(`${field}_required`));
        }
      } else throw new Error(error.message || t("failed"));
      return;
    }
    $("pair-form").reset();
    $("pair-status").textContent = t("paired", { name: body.name });
    // The device collects its token on its next poll, within seconds.
    setTimeout(loadDevices, 3000);
  } catch (error) {
    $("pair-status").textContent = error.message || t("failed");
  } finally {
    $("pair-submit").disabled = false;
  }
}

// --- the list ---------------------------------------------------------------------------

function printerText(state) {
  if (!state) return [];
  const lines = [];
  if (state.printer === "none") lines.push([t("no_printer")]);
  else if (state.printer === "preview") lines.push([t("printer_preview")]);
  else if (state.printer === "agent") {
    lines.push([state.agent_alive ? t("agent_alive") : t("agent_gone"), !state.agent_alive]);
  } else lines.push([t("printer_other", { printer: state.printer })]);
  if (state.last_job_state) {
    const word = t(`job_${state.last_job_state}`);
    lines.push([t("last_job", { state: word }), state.last_job_state === "failed"]);
  }
  return lines;
}

function row(device) {
  const tr = el("tr");
  tr.dataset.device = device.id;
  const name = device.name || t("unnamed");
  tr.append(el("td", "name", name), el("td", "kind", t(`kind_${device.kind}`)));
  tr.append(el("td", "created", when(device.created_at)), el("td", "seen", when(device.last_seen_at)));
  const printer = el("td", "printer");
  for (const [text, fault] of printerText(device.printer)) printer.append(el("div", fault ? "fault" : "", text));
  const actions = el("td", "actions");
  const revoke = el("button", "danger revoke", t("revoke"));
  revoke.type = "button";
  revoke.setAttribute("aria-label", t("revoke_named", { name }));
  revoke.addEventListener("click", () => confirmRevoke(device, name));
  actions.append(revoke);
  tr.append(printer, actions);
  return tr;
}

async function loadDevices() {
  try {
    const response = await apiFetch(BASE, { lang });
    if (response.status === 401) throw new Error(t("refused"));
    if (!response.ok) throw new Error((await apiError(response)).message || t("failed"));
    const devices = await response.json();
    const rows = devices.map(row);
    if (!rows.length) {
      const empty = el("tr");
      const cell = el("td", "none", t("none"));
      cell.colSpan = 6;
      empty.append(cell);
      rows.push(empty);
    }
    $("device-rows").replaceChildren(...rows);
    $("list-error").hidden = true;
  } catch (error) {
    $("list-error").textContent = error.message || t("failed");
    $("list-error").hidden = false;
  }
}

// --- revoking ---------------------------------------------------------------------------

let revoking = null;

function confirmRevoke(device, name) {
  revoking = { device, name };
  $("revoke-what").textContent = `${name} (${t(`kind_${device.kind}`)})`;
  $("revoke-dialog").showModal();
}

async function revoke() {
  if (!revoking) return;
  const { device, name } = revoking;
  revoking = null;
  try {
    const response = await apiFetch(`${BASE}/${device.id}/revoke`, { method: "POST", lang });
    if (response.status === 401) throw new Error(t("refused"));
    if (!response.ok) throw new Error((await apiError(response)).message || t("failed"));
    $("pair-status").textContent = t("revoked", { name });
  } catch (error) {
    $("list-error").textContent = error.message || t("failed");
    $("list-error").hidden = false;
  }
  loadDevices();
}

$("pair-form").addEventListener("submit", pair);
$("revoke-dialog").addEventListener("close", () => {
  if ($("revoke-dialog").returnValue === "revoke") revoke();
  else revoking = null;
});
loadDevices();
setInterval(loadDevices, 30000);
