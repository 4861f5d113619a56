"""Persian digits, Jalali dates, the wait range and the choice of ONE shaping path."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone

import pytest
from PIL import ImageFont, features

from printer_drivers import Layout, TicketPrint, choose_layout
from printer_drivers.fonts import find_fonts, load_font
from printer_drivers.render import LABELS
from printer_drivers.text import (
    TextLayout,
    format_date,
    format_time,
    persian_digits,
    ticket_number,
)

RAQM = pytest.mark.skipif(not features.check("raqm"), reason="Pillow without libraqm")


def test_ticket_number_keeps_letter_and_dash_and_uses_persian_digits():
    assert ticket_number("B-007", "fa") == "B-۰۰۷"
    assert ticket_number("B-007", "en") == "B-007"


def test_persian_digits_cover_all_ten():
    assert persian_digits("0123456789") == "۰۱۲۳۴۵۶۷۸۹"


def test_persian_date_is_jalali_with_weekday_and_month_name(persian_ticket):
    assert format_date(persian_ticket.issued_at, "fa") == "پنج‌شنبه ۸ آذر ۱۴۰۳"
    assert format_time(persian_ticket.issued_at, "fa") == "۱۰:۴۵"


def test_nowruz_starts_a_new_jalali_year():
    nowruz = datetime(2024, 3, 20, 9, 0, tzinfo=timezone(timedelta(hours=3, minutes=30)))
    assert format_date(nowruz, "fa") == "چهارشنبه ۱ فروردین ۱۴۰۳"


def test_english_date_is_gregorian_with_latin_digits(english_ticket):
    assert format_date(english_ticket.issued_at, "en") == "Thu 28 Nov 2024"
    assert format_time(english_ticket.issued_at, "en") == "10:45"


def test_time_is_shown_in_the_offices_offset_not_utc(persian_ticket):
    utc = persian_ticket.issued_at.astimezone(UTC)
    assert format_time(utc, "en") == "07:15"
    assert format_time(persian_ticket.issued_at, "en") == "10:45"


@pytest.mark.parametrize(
    "changes",
    [
        {"language": "de"},
        {"people_ahead": -1},
        {"wait": " "},
        {"people": ""},
        {"issued_at": datetime(2024, 11, 28, 10, 45)},
        {"number": " "},
    ],
)
def test_a_ticket_with_misleading_values_is_refused(persian_ticket, changes):
    with pytest.raises(ValueError):
        dataclasses.replace(persian_ticket, **changes)


def test_ticket_data_is_frozen(persian_ticket):
    with pytest.raises(dataclasses.FrozenInstanceError):
        persian_ticket.number = "C-001"  # type: ignore[misc]
    assert isinstance(persian_ticket, TicketPrint)


def test_layout_defaults_to_raqm_exactly_when_pillow_has_it(monkeypatch):
    monkeypatch.delenv("NOBAT_TEXT_LAYOUT", raising=False)
    expected = Layout.RAQM if features.check("raqm") else Layout.BASIC
    assert choose_layout() is expected


def test_layout_can_be_forced_to_basic_by_argument_or_environment(monkeypatch):
    assert choose_layout("basic") is Layout.BASIC
    monkeypatch.setenv("NOBAT_TEXT_LAYOUT", "basic")
    assert choose_layout() is Layout.BASIC


def test_unknown_or_unavailable_layout_is_a_clear_error(monkeypatch):
    with pytest.raises(ValueError, match="unknown text layout"):
        choose_layout("harfbuzz")
    monkeypatch.setattr("printer_drivers.text.raqm_available", lambda: False)
    with pytest.raises(ValueError, match="no libraqm"):
        choose_layout("raqm")


@RAQM
def test_raqm_path_gets_logical_text_and_is_told_the_direction():
    run = TextLayout(Layout.RAQM).run("نوبت ۳", rtl=True)
    assert run.text == "نوبت ۳"  # never pre-reshaped or reordered
    assert run.options == {"direction": "rtl", "language": "fa"}


def test_basic_path_reshapes_and_reorders_and_passes_no_direction():
    run = TextLayout(Layout.BASIC).run("نوبت", rtl=True)
    assert run.options == {}
    assert run.text == "\ufe96\ufe91\ufeee\ufee7"  # final ت, initial ب, final و, initial ن


def test_basic_path_leaves_latin_text_alone():
    assert TextLayout(Layout.BASIC).run("B-007", rtl=False).text == "B-007"


def test_font_has_a_glyph_for_every_character_the_basic_path_draws():
    """Presentation forms missing from the font would print as blanks."""
    font = load_font(find_fonts().regular, 24, ImageFont.Layout.BASIC)
    layout = TextLayout(Layout.BASIC)
    strings = [s for labels in LABELS.values() for s in labels.values()]
    strings += ["پنج‌شنبه ۸ آذر ۱۴۰۳", "ژاله گچ‌کاری چاپ لا الله", "۰۱۲۳۴۵۶۷۸۹"]
    notdef = font.getmask("\uffff").getbbox()
    for text in strings:
        for char in set(layout.run(text, rtl=True).text) - {" "}:
            assert font.getmask(char).getbbox() not in (None, notdef), (text, hex(ord(char)))
