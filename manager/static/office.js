// One office's dashboard: the queue now (live, from the office's socket) and its history.
import { LiveOffice } from "/static/nobat-live.js";
import { el, named } from "/static/nobat-dom.js";
import {
  $, chart, dayLabel, fmt, getJson, hourLabel, lang, minutes, num, percent, problem, rangeForm,
  rangeText, root, t, today,
} from "/manager/static/common.js";

const office = root.dataset.office;
const API = `/api/v1/offices/${encodeURIComponent(office)}`;
const SERVED_REFRESH_MS = 3000;
let board = null;
let range = null;

const name = (thing) => (lang === "fa" ? thing.name_fa || thing.name : thing.name_en || thing.name);

// ---- Now ----------------------------------------------------------------------------

function renderBoard(next) {
  board = next;
  const total = board.services.reduce((sum, s) => sum + s.waiting, 0);
  $("waiting-total").textContent = num(total);
  $("waiting-services").replaceChildren(...board.services.filter((s) => s.active).map((s) => {
    const item = el("li");
    item.append(named("name", name(s)), el("span", "count", num(s.waiting)));
    return item;
  }));
  const open = board.counters.filter((c) => c.state !== "closed");
  $("open-count").textContent = `(${t("open_of", { open: num(open.length), all: num(board.counters.length) })})`;
  $("counters").replaceChildren(...board.counters.map(counterItem));
  renderLongest();
}

function counterItem(counter) {
  const item = el("li", `state-${counter.state}`);
  item.append(named("name", lang === "fa" ? counter.name : counter.name_en || counter.name));
  let doing;
  if (counter.state === "closed") doing = t("state_closed");
  else if (counter.state === "paused") {
    doing = t("paused_for", { reason: t(`pause_${counter.pause_reason}`) });
  } else if (counter.ticket) doing = t("at_counter", { number: fmt.digits(counter.ticket.number) });
  else doing = t("idle");
  item.append(el("span", "doing", doing));
  return item;
}

/** The longest wait at this moment, ticking between boards. */
function renderLongest() {
  if (!board) return;
  const now = Date.now();
  let longest = null;
  for (const service of board.services) {
    if (!service.waiting || !service.oldest_queued_at) continue;
    const seconds = (now - Date.parse(service.oldest_queued_at)) / 1000;
    if (!longest || seconds > longest.seconds) longest = { seconds, service };
  }
  $("longest-wait").textContent = longest ? fmt.duration(longest.seconds) : "–";
  $("longest-service").textContent = longest ? name(longest.service) : t("nobody");
}

let servedTimer = null;
/** Served so far today, from the statistics, at most once per few seconds while events come. */
function refreshServed() {
  if (servedTimer) return;
  servedTimer = setTimeout(() => { servedTimer = null; }, SERVED_REFRESH_MS);
  const day = today();
  getJson(`${API}/stats?from=${day}&to=${day}`).then((answer) => {
    const totals = answer.totals;
    $("served-today").textContent = num(totals.served);
    $("today-note").textContent = `${t("tickets")}: ${num(totals.tickets)} · ${t("service_level")}: ${percent(totals.service_level.share)}`;
  }).catch((error) => { $("today-note").textContent = error.message; });
}

function showState(state) {
  const pill = $("live-state");
  pill.dataset.state = state;
  pill.textContent = t(state === "live" ? "live" : state === "refused" ? "refused" : state === "lost" ? "lost" : "connecting");
  $("banner").hidden = state === "live" || state === "connecting";
  $("banner").textContent = state === "refused" ? t("refused") : t("lost");
}

new LiveOffice({
  office,
  estimatesMaxAgeMs: SERVED_REFRESH_MS, // fresh boards carry the oldest waiting time
  onBoard: renderBoard,
  onEvent: refreshServed,
  onState: showState,
}).start();
refreshServed();
setInterval(renderLongest, 1000);

// ---- History ------------------------------------------------------------------------

const query = (by) => `from=${range.from}&to=${range.to}${by ? `&by=${by}` : ""}`;

async function loadHistory(chosen) {
  range = chosen;
  problem("history-problem", "");
  updateExports();
  try {
    const [days, hours, heat, services, counters, clerks, staffing] = await Promise.all([
      ...["day", "hour", "weekday_hour", "service", "counter", "clerk"].map((by) => getJson(`${API}/stats?${query(by)}`)),
      getJson(`${API}/staffing?${query()}`),
    ]);
    $("range-text").textContent = rangeText(days.range);
    drawDays(days.groups);
    drawHours(hours.groups);
    drawHeatmap(heat.groups);
    drawLevels(services.groups);
    drawStaffing(staffing.hours);
    fillTable("service", services.groups, (key) => name(key));
    fillTable("counter", counters.groups, (key) => (lang === "fa" ? key.name : key.name_en || key.name) || "–");
    fillTable("clerk", clerks.groups, (key) => key.clerk || "–");
    if (!days.totals.tickets) problem("history-problem", t("no_data"));
  } catch (error) {
    problem("history-problem", error.message);
  }
}

function drawDays(groups) {
  chart("chart-days", "line", groups.map((g) => dayLabel(g.key)), [
    { label: `${t("wait")} · ${t("median")}`, data: groups.map((g) => minutes(g.wait.median)) },
    { label: `${t("wait")} · ${t("mean")}`, data: groups.map((g) => minutes(g.wait.mean)), borderDash: [4, 3] },
    { label: `${t("wait")} · ${t("p90")}`, data: groups.map((g) => minutes(g.wait.p90)) },
    { label: `${t("service_time")} · ${t("median")}`, data: groups.map((g) => minutes(g.service.median)) },
  ]);
}

function drawHours(groups) {
  chart("chart-hours", "line", groups.map((g) => hourLabel(g.key.hour)), [
    { label: `${t("wait")} · ${t("median")}`, data: groups.map((g) => minutes(g.wait.median)) },
    { label: `${t("wait")} · ${t("p90")}`, data: groups.map((g) => minutes(g.wait.p90)) },
    { label: `${t("service_time")} · ${t("median")}`, data: groups.map((g) => minutes(g.service.median)) },
  ]);
}

function drawLevels(groups) {
  chart("chart-level", "bar", groups.map((g) => name(g.key)), [
    { label: t("service_level_pct"), data: groups.map((g) => (g.service_level.share == null ? null : Math.round(g.service_level.share * 100))) },
  ], { percentAxis: true, horizontal: true });
}

function drawStaffing(hours) {
  chart("chart-staffing", "bar", hours.map((h) => hourLabel(h.hour)), [
    { label: t("needed"), data: hours.map((h) => h.needed) },
    { label: t("open"), data: hours.map((h) => h.open) },
  ]);
}

/** Weekdays (Saturday first, as an Iranian week starts) × hours, shaded by tickets. */
function drawHeatmap(groups) {
  const cells = new Map(groups.map((g) => [`${g.key.weekday}:${g.key.hour}`, g]));
  const hours = [...new Set(groups.map((g) => g.key.hour))].sort((a, b) => a - b);
  const most = Math.max(1, ...groups.map((g) => g.tickets));
  const head = el("tr");
  head.append(el("th"), ...hours.map((h) => Object.assign(el("th", "", fmt.digits(h)), { scope: "col" })));
  const rows = [5, 6, 0, 1, 2, 3, 4].map((weekday) => {
    const row = el("tr");
    row.append(Object.assign(el("th", "", t("weekdays")[weekday]), { scope: "row" }));
    for (const hour of hours) {
      const group = cells.get(`${weekday}:${hour}`);
      const count = group ? group.tickets : 0;
      const cell = el("td", "", count ? num(count) : "");
      cell.style.setProperty("--heat", (count / most).toFixed(2));
      if (count / most > 0.45) cell.classList.add("hot");
      if (group) cell.title = `${t("tickets")}: ${num(count)} · ${t("wait")} ${t("median")}: ${num(minutes(group.wait.median), 1)}`;
      row.append(cell);
    }
    return row;
  });
  const thead = el("thead");
  thead.append(head);
  const tbody = el("tbody");
  tbody.append(...rows);
  $("heatmap").replaceChildren(thead, tbody);
}

function fillTable(by, groups, label) {
  const rows = groups.map((g) => {
    const row = el("tr");
    const time = g.counter_time;
    const paused = time ? Object.values(time.pause_seconds || {}).reduce((a, b) => a + b, 0) : null;
    const cells = [
      num(g.tickets), num(g.served), num(minutes(g.wait.median), 1), num(minutes(g.wait.p90), 1),
      num(minutes(g.service.median), 1), percent(g.rates.no_show), percent(g.service_level.share),
      time ? percent(time.utilisation) : "–", paused == null ? "–" : fmt.duration(paused),
    ];
    const head = el("th");
    head.scope = "row";
    head.append(named("", label(g.key)));
    row.append(head, ...cells.map((text) => el("td", "", text)));
    return row;
  });
  $(`table-${by}`).tBodies[0].replaceChildren(...rows);
}

function updateExports() {
  document.querySelectorAll(".export").forEach((link) => {
    link.href = `${API}/stats.${link.dataset.format}?${query(link.dataset.by)}&lang=${lang}`;
  });
}

rangeForm(loadHistory);
