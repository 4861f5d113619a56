// What the whole kiosk shares: the office and texts the page was rendered with, the
// timings, the one state object of the screen, the citizen's choices and the ticket, and
// requests to the API as this kiosk (its device token, the citizen's language).
import { apiFetch } from "/static/nobat-api.js";

export const root = document.getElementById("kiosk");
export const office = {
  code: root.dataset.office,
  name: { fa: root.dataset.nameFa, en: root.dataset.nameEn },
  timezone: root.dataset.timezone || "Asia/Tehran",
};
export const TEXT = { fa: JSON.parse(root.dataset.textFa), en: JSON.parse(root.dataset.textEn) };
// Seconds.
export const TIMING = {
  idle: 60, // on the start screen without a touch: the attract screen
  ticket: 20, // the confirmation, when the ticket printed
  fault: 60, // the confirmation, when it did not: time to note the number or scan the code
  refresh: 60, // the services' availability
  retry: 5, // after the server could not be reached
  request: 12, // an API request gives up
  polls: [4, 10], // the print job is asked for when no print_status came
};
export const STORAGE = `nobat.kiosk.${office.code}`;

export const $ = (id) => document.getElementById(id);

export const state = {
  lang: sessionStorage.getItem(`${STORAGE}.lang`) || root.dataset.lang || "fa",
  token: null,
  services: [],
  signature: "",
  loaded: false,
  unreachable: false,
  waiting: null, // service code → people waiting (from the live board)
  view: "groups",
  group: null,
  query: "",
  priority: null,
  screen: "loading",
  viewChangedAt: 0,
  busy: false,
  lastService: null,
  requestKey: null,
  requestFor: null,
  ticket: null,
  service: null,
  jobId: null,
  print: null,
  printFinal: false,
  timers: [], // the print polls of the ticket on screen
  countdown: null,
  lastTouch: Date.now(),
};

export function clearTimers() {
  for (const timer of state.timers) clearTimeout(timer);
  state.timers = [];
}

/** An API request as this kiosk; rejects when the server does not answer in time. */
export function api(path, options = {}) {
  return apiFetch(path, { ...options, token: state.token, lang: state.lang, timeoutMs: TIMING.request * 1000 });
}
