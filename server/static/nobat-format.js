// Numbers, dates, times and waits as every page shows them: Persian digits and the Jalali
// calendar on Persian pages, the office's own time zone on all of them.

const PERSIAN_DIGITS = "۰۱۲۳۴۵۶۷۸۹";

/** Persian digits for numbers shown to people reading Persian. */
export function persianDigits(value) {
  return String(value).replace(/[0-9]/g, (d) => PERSIAN_DIGITS[d]);
}

/**
 * The formatting of one page.
 * @param {string} lang  "fa" or "en"
 * @param {string} timezone  the office's IANA zone, e.g. "Asia/Tehran"
 */
export function formatter(lang, timezone) {
  const fa = lang === "fa";
  const digits = (value) => (fa ? persianDigits(value) : String(value));
  const locale = fa ? "fa-IR-u-ca-persian-nu-arabext" : "en-GB";
  const dateParts = new Intl.DateTimeFormat(locale, {
    weekday: "long", day: "numeric", month: "long", year: "numeric", timeZone: timezone,
  });
  const clock = new Intl.DateTimeFormat(locale, {
    hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: timezone,
  });

  /** "Tuesday 2 December 2025" / "سه‌شنبه ۱۱ آذر ۱۴۰۴" (the Persian put together from its
   *  parts: some ICU builds order the full Persian date oddly). */
  function dateText(date) {
    if (!fa) return dateParts.format(date);
    const parts = {};
    for (const part of dateParts.formatToParts(date)) parts[part.type] = part.value;
    return `${parts.weekday} ${parts.day} ${parts.month} ${parts.year}`;
  }

  /** "09:05" in the office's time. */
  const timeText = (date) => clock.format(date);

  /** A duration as a clock reads it: "4:05", "1:02:09". */
  function duration(seconds) {
    const s = Math.max(0, Math.floor(seconds));
    const h = Math.floor(s / 3600);
    const mm = String(Math.floor((s % 3600) / 60)).padStart(h ? 2 : 1, "0");
    const ss = String(s % 60).padStart(2, "0");
    return digits(h ? `${h}:${mm}:${ss}` : `${mm}:${ss}`);
  }

  return { fa, lang, digits, dateText, timeText, duration };
}

/**
 * A wait estimate's range as whole minutes, rounded outwards (as the printed ticket
 * says it), so that the words always hold the estimate: `{low, high}`, or null when
 * there is no estimate.
 */
export function waitMinutes(range) {
  if (!Array.isArray(range) || range.length !== 2) return null;
  return { low: Math.floor(range[0] / 60), high: Math.ceil(range[1] / 60) };
}
