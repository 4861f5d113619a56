"""Date ranges of business days: their UTC bounds, their UTC offsets, and Jalali labels.

Business dates are the office's local dates, so a range means local midnights; local
hours are computed in SQL from UTC seconds plus the offset in force, taken here from
the time zone database for every stretch of the range (daylight saving included).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import jdatetime

#: The longest range one request may ask for (a year and a little, for year-on-year).
MAX_DAYS = 400
#: The business dates a report may cover. Nobat kept no queue before the first; and the
#: extremes of ``date`` fall outside the Jalali calendar the labels are written in (year 1
#: was a 500 until the API fuzzing found it).
EARLIEST = date(2000, 1, 1)
LATEST = date(2999, 12, 31)


@dataclass(frozen=True)
class DateRange:
    """Inclusive business dates ``first``..``last``."""

    first: date
    last: date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def utc_bounds(self, timezone: str) -> tuple[datetime, datetime]:
        """UTC instants of the first day's local midnight and of the day after the last's."""
        zone = ZoneInfo(timezone)
        start = datetime.combine(self.first, time(), zone).astimezone(UTC)
        end = datetime.combine(self.last + timedelta(days=1), time(), zone).astimezone(UTC)
        return start, end


def offsets(timezone: str, start: datetime, end: datetime) -> list[tuple[int, int]]:
    """``(from_epoch_second, utc_offset_seconds)`` for each stretch of one offset in a range.

    Found hour by hour, which catches every transition of real time zones; the first
    stretch starts at ``start``.
    """
    zone = ZoneInfo(timezone)
    result: list[tuple[int, int]] = []
    at = start
    while at < end:
        offset = int(at.astimezone(zone).utcoffset().total_seconds())  # type: ignore[union-attr]
        if not result or result[-1][1] != offset:
            result.append((int(at.timestamp()), offset))
        at += timedelta(hours=1)
    return result


def jalali_date(day: date) -> str:
    """The Jalali date in ASCII digits, e.g. 1404/01/01 (pages show their own digits)."""
    return jdatetime.date.fromgregorian(date=day).strftime("%Y/%m/%d")


def day_label(day: date) -> dict[str, object]:
    """A business day as the API names it: ISO date, Jalali date, weekday (Monday = 0)."""
    return {"date": day.isoformat(), "jalali": jalali_date(day), "weekday": day.weekday()}
