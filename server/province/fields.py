"""The fields of each kind of row, and how one cell's text becomes a value.

Both formats hand over the same cells (text as written, with its line), so a rule and
its message are the same whether the file is YAML or CSV.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import time
from functools import cache
from typing import Any
from zoneinfo import available_timezones

from server.engine.errors import N_
from server.engine.routing import POLICIES
from server.models import Role
from server.models.auth import USERNAME
from server.province import records
from server.province.problems import Where

#: A cell's content: its text (None when empty or null), or for list fields a tuple of
#: cells, or for a counter's services a tuple of (service, tier) cell pairs.
Value = str | None | tuple[Any, ...]


@dataclass(frozen=True)
class Cell:
    value: Value
    line: int


@dataclass
class Row:
    """One office, service, counter or user as a file wrote it."""

    kind: str
    where: Where
    cells: dict[str, Cell]
    #: Names the row gives that its kind has no field for (a typo, mostly), with their lines.
    unknown: list[Cell] = field(default_factory=list)


class Invalid(Exception):
    """A cell's text is not a value of its field (``line``: a line of its own, in a list)."""

    def __init__(self, template: str, line: int | None = None, **params: Any) -> None:
        self.template, self.line, self.params = template, line, params
        super().__init__(template)


DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")
_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,31}")
_LETTER = re.compile(r"[A-Z]{1,2}")
_CLOCK = re.compile(r"([01]?[0-9]|2[0-3]):([0-5][0-9])(:00)?")
_WHOLE = re.compile(r"[0-9]+")
# Control characters and line or paragraph separators (a name is one line; the zero-width
# non-joiner of Persian words such as «سیم‌کارت» is a format character and welcome).
_BREAKS = {"Cc", "Zl", "Zp"}
_BOOLEANS = {"true": True, "yes": True, "false": False, "no": False}


def code(text: str) -> str:
    """An office, service or group code: it appears in addresses (``/kiosk/amol``)."""
    if not _CODE.fullmatch(text):
        raise Invalid(
            N_('%(field)s "%(value)s" must be 1 to 32 letters A–Z, digits, "-" or "_"'),
            value=text,
        )
    return text


def letter(text: str) -> str:
    """A service's ticket letter (``B`` of ``B-007``); lower case is taken as upper."""
    if not _LETTER.fullmatch(text.upper()):
        raise Invalid(N_('letter "%(value)s" must be one or two letters A–Z'), value=text)
    return text.upper()


def words(length: int) -> Callable[[str], str]:
    """A name: one line of at most ``length`` characters."""

    def parse(text: str) -> str:
        if len(text) > length or any(unicodedata.category(c) in _BREAKS for c in text):
            raise Invalid(
                N_("%(field)s must be one line of at most %(length)s characters"), length=length
            )
        return text

    return parse


def whole(least: int, most: int) -> Callable[[str], int]:
    """A whole number from ``least`` to ``most`` (Persian and Arabic digits too)."""

    def parse(text: str) -> int:
        digits = text.translate(DIGITS)
        if not _WHOLE.fullmatch(digits) or not least <= int(digits) <= most:
            raise Invalid(
                N_('%(field)s "%(value)s" must be a whole number from %(least)s to %(most)s'),
                value=text,
                least=least,
                most=most,
            )
        return int(digits)

    return parse


def clock(text: str) -> time:
    """A local time of day, ``HH:MM`` (24-hour; ``8:00`` and ``08:00:00`` too)."""
    match = _CLOCK.fullmatch(text.translate(DIGITS))
    if match is None:
        raise Invalid(N_('%(field)s "%(value)s" must be a time of day as HH:MM'), value=text)
    return time(int(match.group(1)), int(match.group(2)))


def boolean(text: str) -> bool:
    try:
        return _BOOLEANS[text.lower()]
    except KeyError:
        raise Invalid(N_('%(field)s "%(value)s" must be true or false'), value=text) from None


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def timezone(text: str) -> str:
    if text not in _zones():
        raise Invalid(N_('unknown time zone "%(value)s"'), value=text)
    return text


def routing_policy(text: str) -> str:
    if text not in POLICIES:
        raise Invalid(
            N_('unknown routing policy "%(value)s" (known: %(known)s)'),
            value=text,
            known=", ".join(sorted(POLICIES)),
        )
    return text


def role(text: str) -> str:
    if text not in {r.value for r in Role}:
        raise Invalid(N_('unknown role "%(value)s" (admin, manager or clerk)'), value=text)
    return text


def username(text: str) -> str:
    if not USERNAME.fullmatch(text):
        raise Invalid(
            N_(
                'a user name is 1 to 64 letters or digits, then also ".", "_" or "-", '
                "without spaces"
            ),
        )
    return text


MAX_TIER = 9
_tier = whole(1, MAX_TIER)


def tiers(cells: tuple[tuple[Cell, Cell], ...]) -> tuple[tuple[str, int], ...]:
    """A counter's (service, tier) pairs, each service once; tier 1 is primary."""
    seen: set[str] = set()
    found = []
    for service_cell, tier_cell in cells:
        service = _text(service_cell)
        if service is None:
            raise Invalid(N_("a service code is missing"), line=service_cell.line)
        try:
            tier = _tier(_text(tier_cell) or "1")
        except Invalid as error:
            raise Invalid(
                N_('the tier of service "%(service)s" must be a whole number from 1 to %(most)s'),
                line=tier_cell.line,
                service=service,
                most=MAX_TIER,
            ) from error
        if service in seen:
            raise Invalid(
                N_('service "%(service)s" is listed twice'), line=service_cell.line, service=service
            )
        seen.add(service)
        found.append((service, tier))
    return tuple(found)


def office_codes(cells: tuple[Cell, ...]) -> tuple[str, ...]:
    """A user's offices, each once: their own first."""
    found: list[str] = []
    for cell in cells:
        text = _text(cell)
        if text is None:
            continue
        if text in found:
            raise Invalid(N_('office "%(office)s" is listed twice'), line=cell.line, office=text)
        found.append(text)
    return tuple(found)


def _text(cell: Cell) -> str | None:
    if not isinstance(cell.value, str):
        return None
    return cell.value.strip() or None


@dataclass(frozen=True)
class Field:
    """A field of a row: how its text is read, and what it is when left out."""

    name: str
    parse: Callable[[Any], Any]
    required: bool = False
    #: A value, or a function of the row's other values (e.g. a counter's English name).
    default: Any = None
    #: Its cell holds a list (YAML) or a space-separated list (CSV).
    listed: bool = False


_NAME = words(200)

FIELDS: dict[str, tuple[Field, ...]] = {
    "offices": (
        Field("code", code, required=True),
        Field("name_fa", _NAME, required=True),
        Field("name_en", _NAME, required=True),
        Field("timezone", timezone, default=records.TIMEZONE),
        Field("routing_policy", routing_policy, default=records.ROUTING_POLICY),
    ),
    "services": (
        Field("office", code, required=True),
        Field("code", code, required=True),
        Field("letter", letter, required=True),
        Field("group", code, required=True),
        Field("name_fa", _NAME, required=True),
        Field("name_en", _NAME, required=True),
        Field("target_wait_seconds", whole(1, 86_400), default=records.TARGET_WAIT_SECONDS),
        Field("daily_cap", whole(1, 100_000)),
        Field("opens_at", clock),
        Field("closes_at", clock),
        Field("active", boolean, default=True),
    ),
    "counters": (
        Field("office", code, required=True),
        Field("number", whole(1, 999), required=True),
        Field("name", words(100), required=True),
        Field("name_en", words(100), default=lambda row: records.counter_name_en(row["number"])),
        Field("services", tiers, default=(), listed=True),
    ),
    "users": (
        Field("username", username, required=True),
        Field("full_name", _NAME, default=lambda row: row["username"]),
        Field("role", role, required=True),
        Field("offices", office_codes, default=(), listed=True),
        Field("active", boolean, default=True),
    ),
}

#: The columns of each CSV file, and the fields of each YAML mapping, in the order written.
COLUMNS = {kind: tuple(f.name for f in table) for kind, table in FIELDS.items()}


def text_of(cell: Cell | None) -> str | None:
    """A cell's text with spaces trimmed, or None when it has none."""
    return None if cell is None else _text(cell)
