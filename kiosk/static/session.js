// One citizen's session: the language they switch to, and its end — after their ticket, or
// after a quiet minute on the start screen, when the attract screen shows — so that the
// next citizen starts afresh. Also the clocks, which follow the language.
import { renderCountdown } from "./countdown.js";
import { dateTimeText, fa, t } from "./format.js";
import { updatePriorityBar } from "./priority.js";
import { closeOverlays, show } from "./screens.js";
import { loadServices } from "./services.js";
import { renderStart } from "./service-menu.js";
import { $, STORAGE, TEXT, TIMING, clearTimers, office, root, state } from "./state.js";
import { forgetRequest } from "./ticket-request.js";
import { renderTicket } from "./ticket-screen.js";

export function applyLanguage() {
  const html = document.documentElement;
  html.lang = state.lang;
  html.dir = fa() ? "rtl" : "ltr";
  document.title = `${office.name[state.lang]} · ${t("title")}`;
  for (const node of root.querySelectorAll("[data-t]")) node.textContent = t(node.dataset.t);
  for (const node of root.querySelectorAll("[data-t-label]")) node.setAttribute("aria-label", t(node.dataset.tLabel));
  for (const node of root.querySelectorAll("[data-t-placeholder]")) node.placeholder = t(node.dataset.tPlaceholder);
  const other = fa() ? { lang: "en", name: "English" } : { lang: "fa", name: "فارسی" };
  $("lang-name").textContent = other.name;
  $("lang-name").lang = other.lang;
  $("office-name").textContent = office.name[state.lang];
  tick();
  updatePriorityBar();
  if (state.screen === "ticket") renderTicket();
  else if (state.screen === "start" || state.screen === "closed") renderStart();
  else if (state.screen === "loading" && !state.loaded && state.unreachable) {
    $("loading-text").textContent = t("server_unreachable");
  }
}

function setLanguage(lang) {
  state.lang = lang;
  if (lang === "fa") sessionStorage.removeItem(`${STORAGE}.lang`);
  else sessionStorage.setItem(`${STORAGE}.lang`, lang);
  applyLanguage();
}

/** The next citizen starts afresh: Persian, no priority, no search, all groups, no request. */
function resetSession() {
  closeOverlays();
  forgetRequest(); // a key never passes to the next citizen, whose request it is not
  state.priority = null;
  state.query = "";
  state.view = "groups";
  state.group = null;
  $("search").value = "";
  $("search").blur();
  if (state.lang !== "fa") setLanguage("fa");
  else applyLanguage();
}

export function finishTicket() {
  clearTimers();
  state.lastTouch = Date.now(); // the idle time counts from here
  state.countdown = null;
  state.ticket = null;
  state.jobId = null;
  resetSession();
  show("start");
  renderStart();
  loadServices();
}

function goIdle() {
  resetSession();
  $("idle").hidden = false;
  renderIdle();
  loadServices();
}

// The attract screen: Persian, with the touch hint in English as well.
function renderIdle() {
  $("idle-office").textContent = office.name.fa;
  $("idle-welcome").textContent = TEXT.fa.welcome;
  $("idle-touch").textContent = TEXT.fa.tap_to_start;
  $("idle-second").textContent = TEXT.en.tap_to_start;
  $("idle-clock").textContent = dateTimeText(new Date());
}

export function tick() {
  const now = new Date();
  $("clock").textContent = dateTimeText(now);
  if (!$("idle").hidden) renderIdle();
}

export function everySecond() {
  if (state.screen === "ticket") renderCountdown();
  const quiet = (Date.now() - state.lastTouch) / 1000;
  const resting = state.screen === "start" && $("idle").hidden && !state.busy;
  if (resting && quiet > TIMING.idle) goIdle();
}

/** The language button, the ticket's Done button, and a touch on the attract screen. */
export function wireSession() {
  $("lang").addEventListener("click", () => setLanguage(fa() ? "en" : "fa"));
  $("done").addEventListener("click", finishTicket);
  $("idle").addEventListener("click", () => {
    $("idle").hidden = true;
    state.lastTouch = Date.now();
    state.viewChangedAt = Date.now();
  });
}
