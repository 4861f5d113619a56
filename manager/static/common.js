// What both dashboard pages share: the page's words and digits, reading the API, the
// date range, and charts drawn alike (Persian digits, Jalali labels, right to left).
import { apiError, apiFetch } from "/static/nobat-api.js";
import { formatter } from "/static/nobat-format.js";

export const root = document.getElementById("dash");
export const lang = root.dataset.lang;
export const timezone = root.dataset.timezone || "Asia/Tehran";
export const fmt = formatter(lang, timezone);
export const $ = (id) => document.getElementById(id);
const TEXT = JSON.parse(root.dataset.text);

/** A word of the page with its {placeholders} filled in. */
export function t(key, vars = {}) {
  const text = TEXT[key] ?? key;
  return typeof text === "string"
    ? text.replace(/\{(\w+)\}/g, (_, name) => (name in vars ? String(vars[name]) : `{${name}}`))
    : text;
}

/** GET a JSON answer; throws an Error with the server's sentence (or the page's own). */
export async function getJson(path) {
  let response;
  try {
    response = await apiFetch(path, { lang, timeoutMs: 30000 });
  } catch {
    throw new Error(t("failed"));
  }
  if (response.status === 401) throw new Error(t("refused"));
  if (!response.ok) throw new Error((await apiError(response)).message || t("failed"));
  return response.json();
}

/** A number in the page's digits, with at most ``places`` decimals. */
export const num = (value, places = 0) =>
  value == null ? "–" : fmt.digits(Number(value).toFixed(places).replace(/\.0+$/, ""));
/** Seconds as minutes with one decimal (charts and tables read in minutes). */
export const minutes = (seconds) => (seconds == null ? null : Math.round(seconds / 6) / 10);
/** A share 0–1 as a percentage. */
export const percent = (share) => (share == null ? "–" : `${num(share * 100)}%`);

/** Today's business date in the office's zone, ISO. */
export function today() {
  return new Intl.DateTimeFormat("en-CA", { timeZone: timezone }).format(new Date());
}

function shift(iso, days) {
  const date = new Date(`${iso}T12:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}

/** The first day of the Jalali month ``iso`` falls in. */
function jalaliMonthStart(iso) {
  const day = new Intl.DateTimeFormat("en-US-u-ca-persian", { day: "numeric", timeZone: "UTC" })
    .format(new Date(`${iso}T12:00:00Z`));
  return shift(iso, 1 - parseInt(day, 10));
}

/** A quick pick as ``{from, to}``: "today", "7", "30" or "month" (the Jalali month). */
export function quickRange(pick) {
  const last = today();
  if (pick === "today") return { from: last, to: last };
  if (pick === "month") return { from: jalaliMonthStart(last), to: last };
  return { from: shift(last, 1 - Number(pick)), to: last };
}

/** Wire the range form: quick picks and dates call ``onRange({from, to})``. */
export function rangeForm(onRange) {
  const form = $("range");
  const set = ({ from, to }) => {
    $("from").value = from;
    $("to").value = to;
    onRange({ from, to });
  };
  form.querySelectorAll("[data-quick]").forEach((button) => button.addEventListener("click", () => {
    form.querySelectorAll("[data-quick]").forEach((b) => b.setAttribute("aria-pressed", String(b === button)));
    set(quickRange(button.dataset.quick));
  }));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    form.querySelectorAll("[data-quick]").forEach((b) => b.setAttribute("aria-pressed", "false"));
    set({ from: $("from").value, to: $("to").value });
  });
  set(quickRange("30"));
}

/** The range as the API gave it, in words: "۱۴۰۴/۰۱/۰۱ – ۱۴۰۴/۰۱/۳۰". */
export function rangeText(range) {
  return lang === "fa"
    ? fmt.digits(`${range.from_jalali} – ${range.to_jalali}`)
    : `${range.from} – ${range.to}`;
}

/** A day group's label: Jalali in Persian, ISO in English. */
export const dayLabel = (key) => (lang === "fa" ? fmt.digits(key.jalali.slice(5)) : key.date.slice(5));

/** An hour of day as a label. */
export const hourLabel = (hour) => t("hour_label", { hour: fmt.digits(hour) });

const charts = new Map();
const COLOURS = ["#0f766e", "#b45309", "#6d28d9", "#be123c", "#0369a1"];

if (window.Chart) {
  Chart.defaults.font.family = "Vazirmatn, system-ui, sans-serif";
  Chart.defaults.color = "#5b6478";
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.animation = false;
}

/**
 * Draw (or redraw) the chart on canvas ``id``: ``datasets`` as ``{label, data, type?}``.
 * ``horizontal`` bars suit named categories (services, offices): long names stay whole
 * instead of being skipped under narrow bars; in Persian the bars grow from the right.
 */
export function chart(id, type, labels, datasets, { percentAxis = false, horizontal = false } = {}) {
  if (charts.has(id)) charts.get(id).destroy();
  const tick = (value) => (percentAxis ? `${num(value)}%` : num(value, 1));
  const [category, value] = horizontal ? ["y", "x"] : ["x", "y"];
  const rtl = lang === "fa";
  const made = new Chart($(id), {
    type,
    data: {
      labels,
      datasets: datasets.map((set, i) => ({
        borderColor: COLOURS[i % COLOURS.length],
        backgroundColor: COLOURS[i % COLOURS.length] + (type === "bar" ? "cc" : "33"),
        pointRadius: 2,
        tension: 0.25,
        spanGaps: true,
        ...set,
      })),
    },
    options: {
      locale: rtl ? "fa-IR" : "en-GB",
      indexAxis: category,
      interaction: { mode: "index", intersect: false, axis: category },
      plugins: {
        legend: { rtl, labels: { boxWidth: 12 } },
        tooltip: {
          rtl,
          callbacks: { label: (item) => `${item.dataset.label}: ${tick(item.parsed[value])}` },
        },
      },
      scales: {
        [category]: {
          ticks: { autoSkip: !horizontal, maxRotation: 0 },
          ...(horizontal && rtl ? { position: "right" } : {}),
        },
        [value]: { beginAtZero: true, ticks: { callback: tick }, reverse: horizontal && rtl },
      },
    },
  });
  charts.set(id, made);
  return made;
}

/** Show or clear a problem sentence. */
export function problem(id, message) {
  $(id).hidden = !message;
  $(id).textContent = message || "";
}
