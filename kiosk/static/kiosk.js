// The kiosk: a citizen picks a service (by group, or by searching) and takes a numbered ticket.
//
// Persian first: the page carries its texts in both languages and starts in Persian; a
// citizen may switch to English, which lasts until their ticket is done or the kiosk
// goes idle. The device token arrives once as ?token= and is kept (deviceToken).
// Printing is followed through the kiosk's socket (print_status), with a poll or two
// of the print job as a fallback, so a printer fault is always told to the citizen.
import { LiveOffice, deviceToken, persianDigits } from "/static/nobat-live.js";

const root = document.getElementById("kiosk");
const office = {
  code: root.dataset.office,
  name: { fa: root.dataset.nameFa, en: root.dataset.nameEn },
  timezone: root.dataset.timezone || "Asia/Tehran",
};
const TEXT = { fa: JSON.parse(root.dataset.textFa), en: JSON.parse(root.dataset.textEn) };
const GROUPS = ["insurance", "civil_registration", "post_bank", "postal", "telecom", "mobile", "tax"];
const FAULTS = {
  paper_out: "fault_paper_out",
  offline: "fault_offline",
  not_found: "fault_offline",
  timeout: "fault_timeout",
  agent_not_connected: "fault_agent_not_connected",
  stale: "fault_stale",
  unknown: "fault_unknown",
  no_printer: "fault_no_printer",
};
// Seconds.
const TIMING = {
  idle: 60, // on the start screen without a touch: the attract screen
  ticket: 20, // the confirmation, when the ticket printed
  fault: 60, // the confirmation, when it did not: time to note the number or scan the code
  refresh: 60, // the services' availability
  retry: 5, // after the server could not be reached
  request: 12, // an API request gives up
  polls: [4, 10], // the print job is asked for when no print_status came
};
const SEARCH_FROM = 8; // offices with this many services get a search box
const TAP_GUARD_MS = 450; // a double tap on a group must not pick the service under the finger
const STORAGE = `nobat.kiosk.${office.code}`;

const $ = (id) => document.getElementById(id);

const state = {
  lang: sessionStorage.getItem(`${STORAGE}.lang`) || root.dataset.lang || "fa",
  token: null,
  services: [],
  signature: "",
  loaded: false,
  waiting: null, // service code → people waiting (from the live board)
  view: "groups",
  group: null,
  query: "",
  priority: null,
  screen: "loading",
  viewChangedAt: 0,
  busy: false,
  lastService: null,
  ticket: null,
  service: null,
  jobId: null,
  print: null,
  printFinal: false,
  statuses: new Map(), // print job id → the latest print_status (it may beat the HTTP answer)
  timers: [],
  countdown: null,
  lastTouch: Date.now(),
};

// ---------------------------------------------------------------- language and formats

const fa = () => state.lang === "fa";
const digits = (value) => (fa() ? persianDigits(value) : String(value));

function t(key, vars = {}) {
  const text = TEXT[state.lang][key] ?? TEXT.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in vars ? digits(vars[name]) : `{${name}}`));
}

function dateText(date) {
  if (!fa()) {
    return new Intl.DateTimeFormat("en-GB", {
      weekday: "long", day: "numeric", month: "long", year: "numeric", timeZone: office.timezone,
    }).format(date);
  }
  // Jalali, put together from its parts: some ICU builds order the full Persian date oddly.
  const parts = {};
  const format = new Intl.DateTimeFormat("fa-IR-u-ca-persian-nu-arabext", {
    weekday: "long", day: "numeric", month: "long", year: "numeric", timeZone: office.timezone,
  });
  for (const part of format.formatToParts(date)) parts[part.type] = part.value;
  return `${parts.weekday} ${parts.day} ${parts.month} ${parts.year}`;
}

function timeText(date) {
  const locale = fa() ? "fa-IR-u-ca-persian-nu-arabext" : "en-GB";
  return new Intl.DateTimeFormat(locale, {
    hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: office.timezone,
  }).format(date);
}

const dateTimeText = (date) => t("date_time", { date: dateText(date), time: timeText(date) });

/** "08:30:00" (the office's local time) → "۰۸:۳۰". */
const clockTime = (value) => digits(String(value).slice(0, 5));

/** The wait as a range of whole minutes, rounded outwards (as the printed ticket says it). */
function waitText(range) {
  if (!Array.isArray(range) || range.length !== 2) return t("wait_unknown");
  const low = Math.floor(range[0] / 60);
  const high = Math.ceil(range[1] / 60);
  if (high < 1) return t("wait_under");
  if (low === high) return t("wait_about", { low });
  return t("wait_range", { low, high });
}

function groupOf(service) {
  return GROUPS.includes(service.group) ? service.group : "other";
}

function reasonText(service) {
  switch (service.unavailable_reason) {
    case "inactive": return t("reason_inactive");
    case "before_hours":
      return service.opens_at ? t("reason_before_hours", { time: clockTime(service.opens_at) })
        : t("reason_before_hours_unknown");
    case "after_hours": return t("reason_after_hours");
    case "daily_cap": return t("reason_daily_cap");
    default: return t("group_unavailable");
  }
}

function applyLanguage() {
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

// ---------------------------------------------------------------- screens

function show(screen) {
  state.screen = screen;
  for (const node of root.querySelectorAll(".screen")) node.hidden = node.id !== `screen-${screen}`;
  $("priority-bar").hidden = screen !== "start";
  root.dataset.screen = screen;
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function icon(name, className = "icon") {
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("class", className);
  svg.setAttribute("aria-hidden", "true");
  const use = document.createElementNS("http://www.w3.org/2000/svg", "use");
  use.setAttribute("href", `#i-${name}`);
  svg.append(use);
  return svg;
}

/** Lower case, one form of ی and ک, no diacritics, no spaces or zero-width joiners, Latin digits. */
function normal(text) {
  return String(text).toLowerCase()
    .replace(/[يى]/g, "ی").replace(/ك/g, "ک").replace(/[ةۀ]/g, "ه").replace(/[أإآ]/g, "ا")
    .replace(/[\u064B-\u065F\u0670\u0640]/g, "")
    .replace(/[۰-۹]/g, (d) => String("۰۱۲۳۴۵۶۷۸۹".indexOf(d)))
    .replace(/[\s\u200c\u200d\u200e\u200f-]+/g, "");
}

function matches(service, query) {
  const haystack = normal([
    service.name_fa, service.name_en,
    TEXT.fa[`group_${groupOf(service)}`], TEXT.en[`group_${groupOf(service)}`],
  ].join(" "));
  return query.split(/\s+/).filter(Boolean).every((word) => haystack.includes(normal(word)));
}

function groupsInOrder() {
  const seen = [];
  for (const service of state.services) {
    const group = groupOf(service);
    if (!seen.includes(group)) seen.push(group);
  }
  return seen;
}

function renderStart() {
  if (!state.loaded) {
    show("loading");
    return;
  }
  const available = state.services.filter((s) => s.available);
  if (available.length === 0) {
    renderClosed();
    return;
  }
  if (state.screen !== "start") show("start");
  const groups = groupsInOrder();
  const single = groups.length === 1;
  $("search-box").hidden = state.services.length < SEARCH_FROM;
  $("clear-search").hidden = !state.query;
  if ($("search").value !== state.query) $("search").value = state.query;

  const choices = $("choices");
  let nodes;
  if (state.query.trim()) {
    const found = state.services.filter((s) => matches(s, state.query));
    $("heading").textContent = t("search_results");
    nodes = found.map(serviceButton);
    choices.className = "choices services";
  } else if (state.view === "group" || single) {
    const group = single ? groups[0] : state.group;
    $("heading").textContent = single ? t("choose_service") : t(`group_${group}`);
    nodes = state.services.filter((s) => groupOf(s) === group).map(serviceButton);
    choices.className = "choices services";
  } else {
    $("heading").textContent = t("choose_service");
    nodes = groups.map(groupButton);
    choices.className = "choices groups";
  }
  choices.replaceChildren(...nodes);
  $("no-match").hidden = nodes.length > 0;
  $("back").hidden = !(state.query || (state.view === "group" && !single));
}

function groupButton(group) {
  const members = state.services.filter((s) => groupOf(s) === group);
  const open = members.some((s) => s.available);
  const button = el("button", `group${open ? "" : " unavailable"}`);
  button.type = "button";
  button.dataset.group = group;
  const badge = el("span", "badge");
  badge.append(icon(group));
  button.append(badge, el("span", "name", t(`group_${group}`)));
  const names = members.map((s) => (fa() ? s.name_fa : s.name_en)).join(fa() ? "، " : ", ");
  button.append(el("span", "members", names));
  if (!open) {
    const reasons = [...new Set(members.map(reasonText))];
    button.append(el("span", "off", reasons.length === 1 ? reasons[0] : t("group_unavailable")));
  }
  button.addEventListener("click", () => {
    state.view = "group";
    state.group = group;
    state.viewChangedAt = Date.now();
    renderStart();
    $("choices").scrollTop = 0;
  });
  return button;
}

function serviceButton(service) {
  const button = el("button", "service");
  button.type = "button";
  button.dataset.service = service.code;
  button.dataset.group = groupOf(service);
  const letter = el("span", "letter", service.letter);
  letter.setAttribute("aria-hidden", "true");
  const text = el("span", "text");
  text.append(el("span", "name", fa() ? service.name_fa : service.name_en));
  const detail = el("span", "detail");
  text.append(detail);
  button.append(letter, text, icon("next", "icon go flip"));
  if (service.available) {
    detail.textContent = waitingText(service.code);
    button.addEventListener("click", () => {
      if (Date.now() - state.viewChangedAt < TAP_GUARD_MS) return;
      issue(service);
    });
  } else {
    button.disabled = true;
    button.setAttribute("aria-disabled", "true");
    button.dataset.reason = service.unavailable_reason || "";
    detail.textContent = reasonText(service);
  }
  return button;
}

function waitingText(code) {
  if (!state.waiting || !state.waiting.has(code)) return "";
  const n = state.waiting.get(code);
  return n ? t("waiting_some", { n }) : t("waiting_none");
}

function updateWaiting() {
  if (state.screen !== "start") return;
  for (const button of $("choices").querySelectorAll(".service:not(:disabled)")) {
    button.querySelector(".detail").textContent = waitingText(button.dataset.service);
  }
}

function renderClosed() {
  show("closed");
  const reasons = state.services.map((s) => s.unavailable_reason);
  const opening = state.services
    .filter((s) => s.unavailable_reason === "before_hours" && s.opens_at)
    .map((s) => String(s.opens_at).slice(0, 5))
    .sort()[0];
  let when = t("closed_tomorrow");
  if (opening) when = t("closed_opens", { time: digits(opening) });
  else if (reasons.length && reasons.every((r) => r === "daily_cap")) when = t("closed_cap");
  $("closed-when").textContent = when;
}

function showSetup(refused) {
  clearTimers();
  closeOverlays();
  $("idle").hidden = true;
  $("setup-refused").hidden = !refused;
  $("setup-refused").textContent = refused || "";
  show("setup");
}

// ---------------------------------------------------------------- the server

async function api(path, options = {}) {
  const url = new URL(path, window.location.origin);
  url.searchParams.set("lang", state.lang);
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), TIMING.request * 1000);
  try {
    return await fetch(url, {
      ...options,
      signal: abort.signal,
      cache: "no-store",
      headers: {
        Authorization: `Bearer ${state.token}`,
        Accept: "application/json",
        ...(options.body ? { "Content-Type": "application/json" } : {}),
        ...(options.headers || {}),
      },
    });
  } finally {
    clearTimeout(timer);
  }
}

async function errorMessage(response) {
  try {
    const body = await response.json();
    return (body && body.error && body.error.message) || "";
  } catch {
    return "";
  }
}

let retryTimer = null;

async function loadServices() {
  clearTimeout(retryTimer);
  let response;
  try {
    response = await api(`/api/v1/offices/${encodeURIComponent(office.code)}/services`);
  } catch {
    unreachable();
    return;
  }
  if (response.status === 401 || response.status === 403) {
    showSetup((await errorMessage(response)) || t("setup_refused"));
    return;
  }
  if (!response.ok) {
    unreachable();
    return;
  }
  let services;
  try {
    services = await response.json();
  } catch {
    unreachable();
    return;
  }
  state.unreachable = false;
  $("banner").hidden = true;
  const signature = JSON.stringify(services);
  const changed = signature !== state.signature || !state.loaded;
  state.services = services;
  state.signature = signature;
  state.loaded = true;
  if (changed && ["loading", "start", "closed"].includes(state.screen)) renderStart();
}

function unreachable() {
  state.unreachable = true;
  if (!state.loaded) {
    show("loading");
    $("loading-text").textContent = t("server_unreachable");
  } else {
    $("banner").textContent = t("server_unreachable");
    $("banner").hidden = false;
  }
  retryTimer = setTimeout(loadServices, TIMING.retry * 1000);
}

// A key per ticket request, kept for its retries: if an answer was lost on the way, the
// server hands back the same ticket instead of a second number. (getRandomValues also
// works on plain http, where kiosks on an office network often are.)
function newRequestKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(18));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

async function issue(service) {
  if (state.busy || !service.available) return;
  state.busy = true;
  if (state.requestFor !== service.code || !state.requestKey) {
    state.requestKey = newRequestKey();
    state.requestFor = service.code;
  }
  state.lastService = service;
  $("busy").hidden = false;
  const body = {
    service: service.code,
    priority: Boolean(state.priority),
    priority_reason: state.priority,
    language: state.lang,
  };
  let response;
  let ticket = null;
  try {
    response = await api(`/api/v1/offices/${encodeURIComponent(office.code)}/tickets`, {
      method: "POST",
      body: JSON.stringify(body),
      headers: { "Idempotency-Key": state.requestKey },
    });
    if (response.status === 201) ticket = await response.json();
  } catch {
    response = null;
  } finally {
    state.busy = false;
    $("busy").hidden = true;
  }
  if (ticket) {
    state.requestKey = null;
    showTicket(ticket, service);
    return;
  }
  if (response === null) {
    problem(t("network_error"), true);
    return;
  }
  const message = await errorMessage(response);
  if (response.status === 401) {
    showSetup(message || t("setup_refused"));
    return;
  }
  if (response.status >= 500) {
    problem(message || t("server_error"), true);
    return;
  }
  state.requestKey = null; // refused: a new attempt is a new request
  problem(message || t("server_error"), false);
  loadServices(); // a 409 usually means the service closed or filled up meanwhile
}

function problem(message, retry) {
  $("problem-message").textContent = message;
  $("problem-retry").hidden = !retry;
  $("problem").hidden = false;
}

// ---------------------------------------------------------------- the ticket

function showTicket(ticket, service) {
  clearTimers();
  state.ticket = ticket;
  state.service = service;
  state.priority = null;
  state.jobId = ticket.print ? ticket.print.id : null;
  state.print = { kind: "pending" };
  state.printFinal = false;
  closeOverlays();
  show("ticket");
  $("preview").hidden = true;
  $("ticket-preview").removeAttribute("src");
  $("ticket-qr").src = `/kiosk/qr.svg?data=${encodeURIComponent(ticket.status_url)}`;
  startCountdown(TIMING.ticket);
  if (!ticket.print) {
    setPrint({ kind: "fault", reason: "no_printer" });
  } else {
    applyJob(state.statuses.get(ticket.print.id) || ticket.print);
    for (const [i, seconds] of TIMING.polls.entries()) {
      state.timers.push(setTimeout(() => poll(i === TIMING.polls.length - 1), seconds * 1000));
    }
  }
  renderTicket();
}

function renderTicket() {
  const ticket = state.ticket;
  if (!ticket) return;
  $("ticket-number").textContent = digits(ticket.number);
  $("ticket-service").textContent = fa() ? state.service.name_fa : state.service.name_en;
  const chip = $("ticket-priority");
  chip.hidden = !ticket.priority;
  if (ticket.priority) {
    const reason = ticket.priority_reason ? t(`reason_${ticket.priority_reason}`) : "";
    chip.replaceChildren(el("strong", "", t("priority_chosen", { reason })), el("span", "", t("priority_verified")));
  }
  const ahead = ticket.people_ahead;
  $("ticket-ahead").textContent = ahead == null ? "—"
    : ahead === 0 ? t("you_are_next") : t("people_count", { n: ahead });
  $("ticket-eta").textContent = waitText(ticket.eta_range);
  const issued = new Date(ticket.issued_at);
  $("ticket-time").textContent = Number.isNaN(issued.getTime()) ? "" : dateTimeText(issued);
  $("ticket-qr").alt = t("scan_to_follow");
  renderPrint();
  renderCountdown();
}

function applyJob(job) {
  if (!state.ticket || !job || job.id !== state.jobId) return;
  if (job.state === "printed") {
    state.printFinal = true;
    setPrint({ kind: "printed", preview: Boolean(job.preview) });
  } else if (job.state === "failed" || job.state === "stale") {
    state.printFinal = true;
    setPrint({ kind: "fault", reason: job.reason || job.state });
  } else if (!state.printFinal) {
    // Still pending; with a reason (no print agent) the citizen should not wait for paper.
    setPrint(job.reason ? { kind: "fault", reason: job.reason } : { kind: "pending" });
  }
}

async function poll(last) {
  if (!state.ticket || state.printFinal || state.jobId == null) return;
  const jobId = state.jobId;
  try {
    const response = await api(`/api/v1/print-jobs/${jobId}`);
    if (response.ok) applyJob(await response.json());
  } catch {
    // the socket may still tell; the last poll below tells the citizen either way
  }
  if (last && state.ticket && state.jobId === jobId && !state.printFinal && state.print.kind === "pending") {
    setPrint({ kind: "fault", reason: "unknown" });
  }
}

function setPrint(print) {
  state.print = print;
  if (print.kind === "fault") extendCountdown(TIMING.fault);
  renderPrint();
}

function renderPrint() {
  const print = state.print;
  const box = $("print-state");
  box.dataset.state = print.kind;
  box.dataset.reason = print.reason || "";
  $("print-icon").setAttribute("href", { pending: "#i-printer", printed: "#i-check", fault: "#i-warning" }[print.kind]);
  const advice = $("print-advice");
  if (print.kind === "pending") {
    $("print-main").textContent = t("print_pending");
    advice.hidden = true;
  } else if (print.kind === "printed") {
    $("print-main").textContent = t("print_printed");
    advice.hidden = true;
  } else {
    $("print-main").textContent = t(FAULTS[print.reason] || "fault_other");
    advice.textContent = t("print_advice");
    advice.hidden = false;
  }
  const preview = $("preview");
  if (print.kind === "printed" && print.preview && state.ticket) {
    const path = new URL(state.ticket.status_url, window.location.origin).pathname;
    const src = `${path}/ticket.png`;
    const image = $("ticket-preview");
    if (image.getAttribute("src") !== src) image.src = src;
    image.alt = t("printed_ticket");
    preview.hidden = false;
  } else {
    preview.hidden = true;
  }
}

function startCountdown(seconds) {
  state.countdown = { total: seconds, endsAt: Date.now() + seconds * 1000 };
  renderCountdown();
}

function extendCountdown(seconds) {
  const countdown = state.countdown;
  if (!countdown) return;
  if (countdown.total < seconds) countdown.total = seconds;
  countdown.endsAt = Math.max(countdown.endsAt, Date.now() + seconds * 1000);
  renderCountdown();
}

function renderCountdown() {
  const countdown = state.countdown;
  if (!countdown) return;
  const left = Math.max(0, Math.ceil((countdown.endsAt - Date.now()) / 1000));
  $("countdown-text").textContent = t("returning", { n: left });
  $("countdown-bar").style.width = `${Math.min(100, (100 * left) / countdown.total)}%`;
  root.dataset.countdown = String(left);
  if (left <= 0) finishTicket();
}

function finishTicket() {
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

function clearTimers() {
  for (const timer of state.timers) clearTimeout(timer);
  state.timers = [];
}

// ---------------------------------------------------------------- priority

function updatePriorityBar() {
  const chosen = state.priority;
  $("priority-open").hidden = Boolean(chosen);
  $("priority-selected").hidden = !chosen;
  if (chosen) {
    $("priority-selected-text").textContent = t("priority_chosen", { reason: t(`reason_${chosen}`) });
    $("priority-selected-icon").setAttribute("href", `#i-${chosen}`);
  }
  for (const button of $("reasons").querySelectorAll(".reason")) {
    button.setAttribute("aria-pressed", String(button.dataset.reason === chosen));
  }
  root.dataset.priority = chosen || "";
}

function choosePriority(reason) {
  state.priority = reason;
  $("priority-sheet").hidden = true;
  updatePriorityBar();
}

// ---------------------------------------------------------------- idle and session

function closeOverlays() {
  $("priority-sheet").hidden = true;
  $("problem").hidden = true;
}

/** The next citizen starts afresh: Persian, no priority, no search, all groups. */
function resetSession() {
  closeOverlays();
  state.priority = null;
  state.query = "";
  state.view = "groups";
  state.group = null;
  $("search").value = "";
  $("search").blur();
  if (state.lang !== "fa") setLanguage("fa");
  else applyLanguage();
}

function goIdle() {
  resetSession();
  $("idle").hidden = false;
  renderIdle();
  loadServices();
}

function renderIdle() {
  $("idle-office").textContent = office.name.fa;
  $("idle-welcome").textContent = TEXT.fa.welcome;
  $("idle-touch").textContent = TEXT.fa.tap_to_start;
  $("idle-second").textContent = TEXT.en.tap_to_start;
  $("idle-clock").textContent = dateTimeText(new Date());
}

function tick() {
  const now = new Date();
  $("clock").textContent = dateTimeText(now);
  if (!$("idle").hidden) renderIdle();
}

function everySecond() {
  if (state.screen === "ticket") renderCountdown();
  const quiet = (Date.now() - state.lastTouch) / 1000;
  const resting = state.screen === "start" && $("idle").hidden && !state.busy;
  if (resting && quiet > TIMING.idle) goIdle();
}

// ---------------------------------------------------------------- wiring

function wire() {
  document.addEventListener("contextmenu", (event) => event.preventDefault());
  for (const type of ["pointerdown", "keydown", "input"]) {
    document.addEventListener(type, () => { state.lastTouch = Date.now(); }, { capture: true });
  }
  $("lang").addEventListener("click", () => setLanguage(fa() ? "en" : "fa"));
  $("back").addEventListener("click", () => {
    if (state.query) state.query = "";
    else state.view = "groups";
    state.viewChangedAt = Date.now();
    renderStart();
  });
  $("search").addEventListener("input", (event) => {
    state.query = event.target.value;
    if (!state.query) state.view = "groups";
    renderStart();
  });
  $("search").addEventListener("keydown", (event) => {
    if (event.key === "Enter") event.target.blur();
  });
  $("clear-search").addEventListener("click", () => {
    state.query = "";
    state.view = "groups";
    renderStart();
  });
  $("priority-open").addEventListener("click", () => { $("priority-sheet").hidden = false; });
  $("priority-remove").addEventListener("click", () => choosePriority(null));
  $("priority-none").addEventListener("click", () => choosePriority(null));
  for (const button of $("reasons").querySelectorAll(".reason")) {
    button.addEventListener("click", () => choosePriority(button.dataset.reason));
  }
  $("priority-sheet").addEventListener("click", (event) => {
    if (event.target === event.currentTarget) $("priority-sheet").hidden = true;
  });
  $("problem-retry").addEventListener("click", () => {
    $("problem").hidden = true;
    if (state.lastService) issue(state.lastService);
  });
  $("problem-back").addEventListener("click", () => {
    $("problem").hidden = true;
    renderStart();
  });
  $("done").addEventListener("click", finishTicket);
  $("screen-ticket").addEventListener("pointerdown", (event) => {
    // Someone still reading gets the full time again.
    if (state.countdown && !event.target.closest("#done")) {
      const { total } = state.countdown;
      state.countdown.endsAt = Math.max(state.countdown.endsAt, Date.now() + total * 1000);
      renderCountdown();
    }
  });
  $("idle").addEventListener("click", () => {
    $("idle").hidden = true;
    state.lastTouch = Date.now();
    state.viewChangedAt = Date.now();
  });
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") loadServices();
  });
}

function connect() {
  const live = new LiveOffice({
    token: state.token,
    office: office.code,
    onBoard: (board) => {
      state.waiting = new Map(board.services.map((s) => [s.code, s.waiting]));
      updateWaiting();
    },
    onState: (status) => {
      root.dataset.live = status;
      if (status === "live" && state.ticket && !state.printFinal) {
        // Back after a drop: the status may have been sent while we were away.
        state.timers.push(setTimeout(() => poll(false), 300));
      }
    },
  }).start();
  live.socket.on("print_status", (job) => {
    if (!job || typeof job.id !== "number") return;
    state.statuses.set(job.id, job);
    if (state.statuses.size > 50) state.statuses.delete(state.statuses.keys().next().value);
    applyJob(job);
  });
  return live;
}

function main() {
  wire();
  applyLanguage();
  setInterval(everySecond, 1000);
  setInterval(tick, 15000);
  state.token = deviceToken(STORAGE);
  if (!state.token) {
    showSetup(null);
    return;
  }
  show("loading");
  loadServices();
  setInterval(() => {
    if (state.screen !== "ticket") loadServices();
  }, TIMING.refresh * 1000);
  connect();
}

main();
