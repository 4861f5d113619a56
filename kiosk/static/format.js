// The kiosk's words and numbers in the citizen's language: texts with their placeholders
// filled in, and the shared formatting (digits, the Jalali date, clock times) for
// whichever language the citizen chose. Waits come worded by the server.
import { formatter } from "/static/nobat-format.js";
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
