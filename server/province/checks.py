"""Rows as a file wrote them become records, or problems with their lines.

These checks need no database: each field, each row's own rules, and keys listed
twice. What a row refers to (an office, a service) may be in the database instead of
the file, so references are checked with it, in ``plan``.
"""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from server.engine.errors import N_
from server.models import Role
from server.province import problems as subjects
from server.province.fields import DIGITS, FIELDS, Cell, Invalid, Row, text_of
from server.province.problems import Problems, Subject, Where
from server.province.records import (
    CounterRecord,
    OfficeRecord,
    Province,
    ServiceRecord,
    UserRecord,
)

_KEYS = {
    "offices": ("code",),
    "services": ("office", "code"),
    "counters": ("office", "number"),
    "users": ("username",),
}
_RECORDS = {
    "offices": OfficeRecord,
    "services": ServiceRecord,
    "counters": CounterRecord,
    "users": UserRecord,
}


@dataclass
class Mentioned:
    """Keys the file names, read or not: a reference to a broken row is not reported again."""

    offices: set[str] = field(default_factory=set)
    services: set[tuple[str, str]] = field(default_factory=set)


@dataclass
class Parsed:
    """What was read: the good records, the keys mentioned, and every problem so far."""

    province: Province
    mentioned: Mentioned
    problems: Problems


def check(rows: Iterable[Row], problems: Problems) -> Parsed:
    """The records of ``rows`` with every problem found in the file alone."""
    province, mentioned = Province(), Mentioned()
    first: dict[tuple[str, ...], Where] = {}
    positions: Tally[str] = Tally()
    for row in rows:
        subject = _subject(row)
        _mention(row, mentioned)
        key = _key(row)
        if key is not None and key in first:
            problems.add(
                row.where,
                N_("listed twice (first on line %(first)s)"),
                subject,
                first=first[key].line,
            )
            continue
        if key is not None:
            first[key] = row.where
        for name in row.unknown:
            where = Where(row.where.file, name.line)
            problems.add(where, N_('unknown field "%(field)s"'), subject, field=name.value)
        values = _values(row, subject, problems)
        if values is None or row.unknown or not _row_rules(row, values, subject, problems):
            continue
        if row.kind == "services":
            values["position"] = positions[values["office"]]
            positions[values["office"]] += 1
        getattr(province, row.kind).append(_RECORDS[row.kind](**values, where=row.where))
    return Parsed(province, mentioned, problems)


def _values(row: Row, subject: Subject | None, problems: Problems) -> dict[str, Any] | None:
    """The row's fields as values, defaults filled in; None when any field is wrong."""
    values: dict[str, Any] = {}
    later = []
    wrong = False
    for spec in FIELDS[row.kind]:
        cell = row.cells.get(spec.name)
        try:
            if spec.listed and cell is not None and isinstance(cell.value, tuple):
                values[spec.name] = spec.parse(cell.value)
            elif (text := text_of(cell)) is not None:
                values[spec.name] = spec.parse(text)
            elif spec.required:
                problems.add(_at(row, cell), N_("%(field)s is required"), subject, field=spec.name)
                wrong = True
            elif callable(spec.default):
                later.append(spec)
            else:
                values[spec.name] = spec.default
        except Invalid as error:
            where = Where(row.where.file, error.line or _at(row, cell).line)
            problems.add(where, error.template, subject, field=spec.name, **error.params)
            wrong = True
    if wrong:
        return None
    for spec in later:  # made of the row's other values, e.g. a counter's English name
        values[spec.name] = spec.default(values)
    return values


def _row_rules(
    row: Row, values: dict[str, Any], subject: Subject | None, problems: Problems
) -> bool:
    """The rules between a row's fields: hours in order, a user's offices by role."""
    template = None
    cell = None
    if row.kind == "services":
        opens, closes = values["opens_at"], values["closes_at"]
        if opens is not None and closes is not None and opens >= closes:
            template, cell = N_("opens_at must come before closes_at"), row.cells.get("closes_at")
    elif row.kind == "users":
        count, role = len(values["offices"]), Role(values["role"])
        cell = row.cells.get("offices")
        if role is Role.ADMIN and count > 1:
            template = N_("an administrator has at most one office")
        elif role is Role.CLERK and count != 1:
            template = N_("a clerk has exactly one office")
        elif role is Role.MANAGER and count < 1:
            template = N_("a manager has at least one office (the first is their own)")
    if template is None:
        return True
    field = "closes_at" if row.kind == "services" else "offices"
    problems.add(_at(row, cell), template, subject, field=field)
    return False


def _at(row: Row, cell: Cell | None) -> Where:
    return Where(row.where.file, cell.line) if cell is not None else row.where


def _subject(row: Row) -> Subject | None:
    def text(name: str) -> str | None:
        return text_of(row.cells.get(name))

    if row.kind == "offices":
        return subjects.office(text("code"))
    if row.kind == "services":
        return subjects.service(text("office"), text("code"))
    if row.kind == "counters":
        return subjects.counter(text("office"), text("number"))
    return subjects.user(text("username"))


def _mention(row: Row, mentioned: Mentioned) -> None:
    office = text_of(row.cells.get("office"))
    if row.kind == "offices" and (code := text_of(row.cells.get("code"))):
        mentioned.offices.add(code)
    elif row.kind == "services" and office and (code := text_of(row.cells.get("code"))):
        mentioned.services.add((office, code))


def _key(row: Row) -> tuple[str, ...] | None:
    """The row's key as written (a counter's number with its digits read), None if partial."""
    names = _KEYS[row.kind]
    texts = [text_of(row.cells.get(name)) for name in names]
    if None in texts:
        return None
    if row.kind == "counters":
        texts[1] = texts[1].translate(DIGITS).lstrip("0")
    return (row.kind, *texts)
