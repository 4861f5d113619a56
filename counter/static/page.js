// What the whole counter page shares: who and where (from the rendered page), its words,
// its formatting, the one state object, and how it talks to the API.
import { apiError, apiFetch } from "/static/nobat-api.js";
import { formatter } from "/static/nobat-format.js";

export const root = document.getElementById("desk");
export const office = { code: root.dataset.office, timezone: root.dataset.timezone };
export const me = { id: Number(root.dataset.userId), username: root.dataset.username };
export const lang = root.dataset.lang;
export const fmt = formatter(lang, office.timezone);
export const $ = (id) => document.getElementById(id);
const TEXT = JSON.parse(root.dataset.text);

/** A text of the page with its {placeholders} filled in (values as given). */
export function t(key, vars = {}) {
  const text = TEXT[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in vars ? String(vars[name]) : `{${name}}`));
}

/** A ticket number in the page's digits, e.g. "B-۰۰۷". */
export const number = (value) => fmt.digits(value);

export const STORAGE = `nobat.counter.${office.code}`;

export const state = {
  counterId: Number(localStorage.getItem(STORAGE)) || null,
  board: null, // the office's live board (counters for the picker)
  screen: null, // GET /api/v1/counters/{id}: the chosen counter as its clerk sees it
  services: [], // the office's services (names, for transfers)
  busy: false, // one command at a time: buttons are disabled while it is in flight
  skewMs: 0, // the server's clock minus this browser's
  waitingBefore: 0, // for the alert when a citizen starts waiting at an idle counter
};

/** Now, by the server's clock. */
export const serverNow = () => Date.now() + state.skewMs;

/**
 * One API request in the page's language. Never throws: ``status`` 0 means the server
 * could not be reached or did not answer in time.
 */
export async function api(method, path, body, headers = {}) {
  let response;
  try {
    response = await apiFetch(path, { method, body, lang, headers, timeoutMs: 8000 });
  } catch {
    return { ok: false, status: 0, data: null, error: { code: "network", message: t("no_answer") } };
  }
  if (response.ok) {
    const data = response.status === 204 ? null : await response.json().catch(() => null);
    return { ok: true, status: response.status, data, error: null };
  }
  const error = await apiError(response);
  if (response.status === 401) error.message = t("session_ended");
  // The server's sentence names numbers in ASCII digits ("B-007"): the page's own digits.
  error.message = error.message ? fmt.digits(error.message) : t("refused");
  return { ok: false, status: response.status, data: null, error };
}

/** The current ticket's holder is someone else: this clerk may only look (or take over). */
export function heldByOther(counter) {
  return Boolean(counter && counter.state !== "closed" && counter.clerk && counter.clerk !== me.username);
}

/** A service's name in the page's language, from its code. */
export function serviceName(code) {
  const service = state.services.find((s) => s.code === code);
  if (!service) return code;
  return lang === "fa" ? service.name_fa : service.name_en;
}
