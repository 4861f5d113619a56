"""Persian presentation helpers: digits and Jalali dates (used by pages and the CLI)."""

from __future__ import annotations

from datetime import datetime

import jdatetime

_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


def persian_digits(value: object) -> str:
    """``value`` as text with Persian digits (۰–۹)."""
    return str(value).translate(_DIGITS)


def jalali(at: datetime, with_time: bool = True) -> str:
    """A Jalali date (and time) in Persian digits, e.g. ۱۴۰۵/۰۹/۰۷ ۱۲:۴۵."""
    shown = jdatetime.datetime.fromgregorian(datetime=at)
    return persian_digits(shown.strftime("%Y/%m/%d %H:%M" if with_time else "%Y/%m/%d"))
