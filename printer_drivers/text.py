"""Persian text for a raster: digits, Jalali dates and ONE explicit shaping path.

Pillow with libraqm shapes and reorders text itself; arabic-reshaper + python-bidi do
the same by hand for Pillow's basic layout. Feeding the output of the second to the
first reorders twice and prints reversed Persian (a bug seen in the field), so a
``TextLayout`` owns both the font engine and the preprocessing, and nothing else does.
"""

from __future__ import annotations

import os
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

import arabic_reshaper
import jdatetime
from bidi import get_display
from PIL import ImageFont, features

LAYOUT_ENV = "NOBAT_TEXT_LAYOUT"

_PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
_JALALI_MONTHS = (
    "فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور",
    "مهر", "آبان", "آذر", "دی", "بهمن", "اسفند",
)  # fmt: skip
_JALALI_WEEKDAYS = ("شنبه", "یکشنبه", "دوشنبه", "سه‌شنبه", "چهارشنبه", "پنج‌شنبه", "جمعه")
_EN_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_EN_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
# Joiners and bidi controls have no glyph in the basic layout: shaping is already
# encoded in the presentation forms, so they are dropped rather than drawn as boxes.
_INVISIBLE = dict.fromkeys(map(ord, "\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"))
# Keep marks such as the hamza of "شمارهٔ"; the default deletes them.
_RESHAPER = arabic_reshaper.ArabicReshaper(configuration={"delete_harakat": False})


def persian_digits(text: str) -> str:
    """Replace ASCII digits by Persian ones (U+06F0..U+06F9)."""
    return text.translate(_PERSIAN_DIGITS)


def localize_digits(text: str, language: str) -> str:
    """Persian digits for fa, unchanged for en."""
    return persian_digits(text) if language == "fa" else text


def ticket_number(number: str, language: str) -> str:
    """'B-007' -> 'B-۰۰۷' in fa: the letter and dash stay, only the digits change."""
    return localize_digits(number, language)


def format_date(moment: datetime, language: str) -> str:
    """Jalali with weekday and month name in fa ('پنج‌شنبه ۸ آذر ۱۴۰۳'), Gregorian in en."""
    if language == "fa":
        jalali = jdatetime.date.fromgregorian(date=moment.date())
        weekday = _JALALI_WEEKDAYS[jalali.weekday()]
        month = _JALALI_MONTHS[jalali.month - 1]
        return persian_digits(f"{weekday} {jalali.day} {month} {jalali.year}")
    weekday, month = _EN_WEEKDAYS[moment.weekday()], _EN_MONTHS[moment.month - 1]
    return f"{weekday} {moment.day} {month} {moment.year}"


def format_time(moment: datetime, language: str) -> str:
    """24-hour HH:MM in the datetime's own offset (the office's local time)."""
    return localize_digits(f"{moment.hour:02d}:{moment.minute:02d}", language)


def has_rtl(text: str) -> bool:
    """Whether the text contains any right-to-left letter (Arabic script, Hebrew)."""
    return any(unicodedata.bidirectional(ch) in ("R", "AL") for ch in text)


class Layout(StrEnum):
    """The two shaping paths; exactly one is used for a whole ticket."""

    RAQM = "raqm"
    BASIC = "basic"


def raqm_available() -> bool:
    """Whether this Pillow was built with libraqm (and found it at run time)."""
    return bool(features.check("raqm"))


def choose_layout(requested: str | Layout | None = None) -> Layout:
    """The layout asked for (argument, then NOBAT_TEXT_LAYOUT), else raqm when available."""
    wanted = requested or os.environ.get(LAYOUT_ENV) or None
    if wanted is None:
        return Layout.RAQM if raqm_available() else Layout.BASIC
    try:
        layout = Layout(str(wanted).lower())
    except ValueError:
        raise ValueError(f"unknown text layout {wanted!r}; use 'raqm' or 'basic'") from None
    if layout is Layout.RAQM and not raqm_available():
        raise ValueError("text layout 'raqm' requested but Pillow has no libraqm support")
    return layout


@dataclass(frozen=True, slots=True)
class Run:
    """A line ready for ImageDraw: the text to pass and the keyword arguments to pass."""

    text: str
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class TextLayout:
    """One shaping path: how fonts are loaded and how a logical line becomes a Run."""

    layout: Layout

    @property
    def engine(self) -> ImageFont.Layout:
        """The Pillow layout engine fonts must be loaded with for this path."""
        return ImageFont.Layout.RAQM if self.layout is Layout.RAQM else ImageFont.Layout.BASIC

    def run(self, text: str, *, rtl: bool) -> Run:
        """Prepare one logical-order line for drawing in a paragraph of the given direction."""
        if self.layout is Layout.RAQM:
            # raqm shapes and reorders by itself: hand it logical text, never reshaped text
            language = "fa" if has_rtl(text) else "en"
            return Run(text, {"direction": "rtl" if rtl else "ltr", "language": language})
        if not has_rtl(text):
            return Run(text)
        shaped = _RESHAPER.reshape(text)
        return Run(get_display(shaped, base_dir="R" if rtl else "L").translate(_INVISIBLE))

    def width(self, font: ImageFont.FreeTypeFont, text: str, *, rtl: bool) -> float:
        """Advance width of a logical line once shaped."""
        run = self.run(text, rtl=rtl)
        return font.getlength(run.text, **run.options)
