// The kiosk's words and numbers in the citizen's language: texts with their placeholders
// filled in, and the shared formatting (digits, the Jalali date, clock times, waits in
// whole minutes) for whichever language the citizen chose.
import { formatter, waitMinutes } from "/static/nobat-format.js";
import { TEXT, office, state } from "./state.js";

const formatters = {};
const format = () => (formatters[state.lang] ||= formatter(state.lang, office.timezone));

export const fa = () => state.lang === "fa";
export const digits = (value) => format().digits(value);

export function t(key, vars = {}) {
  const text = TEXT[state.lang][key] ?? TEXT.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in vars ? digits(vars[name]) : `{${name}}`));
}

export const dateTimeText = (date) =>
  t("date_time", { date: format().dateText(date), time: format().timeText(date) });

/** "08:30:00" (the office's local time) → "۰۸:۳۰". */
export const clockTime = (value) => digits(String(value).slice(0, 5));

/** The wait as a range of whole minutes, rounded outwards (as the printed ticket says it). */
export function waitText(range) {
  const minutes = waitMinutes(range);
  if (!minutes) return t("wait_unknown");
  if (minutes.high < 1) return t("wait_under");
  if (minutes.low === minutes.high) return t("wait_about", { low: minutes.low });
  return t("wait_range", minutes);
}
