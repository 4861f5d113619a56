"""The statistics as a table for CSV and XLSX files: the API's numbers, headed in Persian
(or English), Jalali dates first. One row for the totals, then one per group."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

from openpyxl import Workbook

from server.persian import persian_digits

# (header in Persian, header in English, how a group object's value is found)
Column = tuple[str, str, Callable[[dict[str, Any]], Any]]


def _at(*path: str) -> Callable[[dict[str, Any]], Any]:
    def get(row: dict[str, Any]) -> Any:
        for step in path:
            row = row.get(step) if isinstance(row, dict) else None  # type: ignore[assignment]
        return row

    return get


_KEYS: dict[str, list[Column]] = {
    "office": [("دفتر", "Office", _at("key", "office")), ("نام", "Name", _at("key", "name"))],
    "service": [
        ("دفتر", "Office", _at("key", "office")),
        ("خدمت", "Service", _at("key", "service")),
        ("نام", "Name", _at("key", "name")),
    ],
    "counter": [
        ("دفتر", "Office", _at("key", "office")),
        ("باجه", "Counter", _at("key", "counter")),
        ("نام", "Name", _at("key", "name")),
    ],
    "clerk": [("کارمند", "Clerk", _at("key", "clerk"))],
    "day": [
        ("تاریخ", "Jalali date", _at("key", "jalali")),
        ("تاریخ میلادی", "Date", _at("key", "date")),
    ],
    "hour": [("ساعت", "Hour", _at("key", "hour"))],
    "weekday_hour": [
        ("روز هفته", "Weekday", _at("key", "weekday")),
        ("ساعت", "Hour", _at("key", "hour")),
    ],
}

_OUTCOMES: list[Column] = [
    ("نوبت‌ها", "Tickets", _at("tickets")),
    ("خدمت‌گرفته", "Served", _at("served")),
    ("غایب", "No-show", _at("no_show")),
    ("لغوشده", "Cancelled", _at("cancelled")),
    ("انتقالی", "Transferred", _at("transferred")),
    ("منقضی", "Expired", _at("expired")),
    ("سطح خدمت", "Service level", _at("service_level", "share")),
]

_TIMES: list[Column] = [
    (f"{fa} ({fa_stat}، ثانیه)", f"{en} {en_stat} (s)", _at(measure, stat))
    for measure, fa, en in (
        ("wait", "انتظار", "Wait"),
        ("walk_up", "رسیدن به باجه", "Walk-up"),
        ("service", "زمان خدمت", "Service"),
    )
    for stat, fa_stat, en_stat in (
        ("mean", "میانگین", "mean"),
        ("median", "میانه", "median"),
        ("p90", "صدک ۹۰", "p90"),
    )
]

_COUNTER_TIME: list[Column] = [
    ("باز (ثانیه)", "Open (s)", _at("counter_time", "open_seconds")),
    ("مشغول (ثانیه)", "Busy (s)", _at("counter_time", "busy_seconds")),
    ("بیکار (ثانیه)", "Idle (s)", _at("counter_time", "idle_seconds")),
    ("بهره‌وری", "Utilisation", _at("counter_time", "utilisation")),
]


def table(result: dict[str, Any], by: str | None, english: bool) -> list[list[Any]]:
    """Header and rows: the totals, then each group, with the same numbers as the API."""
    keys = _KEYS.get(by, []) if by else []
    timed = "counter_time" in result["totals"]
    columns = keys + _OUTCOMES + _TIMES + (_COUNTER_TIME if timed else [])
    first = 1 if english else 0
    rows: list[list[Any]] = [[column[first] for column in columns]]
    span = result["range"]
    total_label = (
        f"Total {span['from']} – {span['to']}"
        if english
        else f"جمع {persian_digits(span['from_jalali'])} تا {persian_digits(span['to_jalali'])}"
    )
    totals = [column[2](result["totals"]) for column in columns]
    rows.append([total_label] + [None] * (len(keys) - 1) + totals[len(keys) :] if keys else totals)
    for group in result.get("groups", []):
        row = [column[2](group) for column in columns]
        if by == "day" and not english:
            row[0] = persian_digits(row[0])
        rows.append(row)
    return rows


#: A text cell starting with one of these is a formula to a spreadsheet program.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def as_text(value: Any) -> Any:
    """A cell as data, never a formula: names come from the data (an office, a service, a
    clerk), and a name starting ``=`` would run in the manager's spreadsheet. Numbers
    stay numbers."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def as_csv(rows: list[list[Any]]) -> bytes:
    """UTF-8 with a byte-order mark, so that spreadsheet programs read the Persian."""
    out = io.StringIO()
    csv.writer(out).writerows([["" if v is None else as_text(v) for v in row] for row in rows])
    return out.getvalue().encode("utf-8-sig")


def as_xlsx(rows: list[list[Any]], english: bool) -> bytes:
    """One sheet, right to left unless English."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Statistics" if english else "آمار"
    sheet.sheet_view.rightToLeft = not english
    for row in rows:
        sheet.append([as_text(v) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
