// The start screen: the office's services by group, or found by a search, each with its
// queue or the reason it is unavailable; and the closed screen when none is available.
import { el } from "/static/nobat-dom.js";
import { clockTime, digits, fa, t } from "./format.js";
import { icon, show } from "./screens.js";
import { $, TEXT, state } from "./state.js";

const GROUPS = ["insurance", "civil_registration", "post_bank", "postal", "telecom", "mobile", "tax"];
const SEARCH_FROM = 8; // offices with this many services get a search box
const TAP_GUARD_MS = 450; // a double tap on a group must not pick the service under the finger

// What a tap on an available service does; given by wireMenu, as the ticket request's
// module imports this one.
let pick;

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

export function renderStart() {
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
      pick(service);
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

/** The live board changed: the queues shown on the service buttons follow it. */
export function updateWaiting() {
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

/** The back button, the search box and its clear button; `onPick(service)` takes a ticket. */
export function wireMenu(onPick) {
  pick = onPick;
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
}
