// The kiosk's words and numbers in the citizen's language: texts with their placeholders
// filled in, Persian digits, the Jalali date, clock times and waits in whole minutes.
import { persianDigits } from "/static/nobat-live.js";
import { TEXT, office, state } from "./state.js";

export const fa = () => state.lang === "fa";
export const digits = (value) => (fa() ? persianDigits(value) : String(value));

export function t(key, vars = {}) {
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

export const dateTimeText = (date) => t("date_time", { date: dateText(date), time: timeText(date) });

/** "08:30:00" (the office's local time) → "۰۸:۳۰". */
export const clockTime = (value) => digits(String(value).slice(0, 5));

/** The wait as a range of whole minutes, rounded outwards (as the printed ticket says it). */
export function waitText(range) {
  if (!Array.isArray(range) || range.length !== 2) return t("wait_unknown");
  const low = Math.floor(range[0] / 60);
  const high = Math.ceil(range[1] / 60);
  if (high < 1) return t("wait_under");
  if (low === high) return t("wait_about", { low });
  return t("wait_range", { low, high });
}
