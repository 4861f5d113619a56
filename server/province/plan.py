"""What importing a province would do, after the checks that need the database.

An import creates what the database lacks and changes what differs, matched by key:
an office by code, a service by office and code, a counter by office and number, a
user by name. What the database holds and the file does not name is left as it is:
nothing is ever deleted. References may point at either, so they are checked here.
"""

from __future__ import annotations

from collections import Counter as Tally
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from server.engine.errors import N_
from server.province import problems as subjects
from server.province.checks import Parsed
from server.province.problems import Problems
from server.province.records import Province, ServiceRecord, differing
from server.province.stored import Scope, Stored, load

KINDS = ("office", "service", "counter", "user")


@dataclass(frozen=True)
class Change:
    """One thing the import creates (no fields) or changes (the fields that differ)."""

    kind: str
    key: str
    fields: tuple[str, ...] = ()

    @property
    def creates(self) -> bool:
        return not self.fields


@dataclass
class Plan:
    """The changes, in file order, and counts of what stays as it is."""

    province: Province
    stored: Stored
    changes: list[Change] = field(default_factory=list)
    unchanged: Tally[str] = field(default_factory=Tally)
    #: In the database but not in the file: left as they are.
    left_alone: Tally[str] = field(default_factory=Tally)

    @property
    def new_users(self) -> list[str]:
        return [c.key for c in self.changes if c.kind == "user" and c.creates]

    def count(self, kind: str, creates: bool) -> int:
        return sum(1 for c in self.changes if c.kind == kind and c.creates == creates)

    def summary(self) -> dict[str, dict[str, int]]:
        """Per kind: how many are created, changed, unchanged and left alone."""
        return {
            kind: {
                "create": self.count(kind, True),
                "change": self.count(kind, False),
                "unchanged": self.unchanged[kind],
                "left_alone": self.left_alone[kind],
            }
            for kind in KINDS
        }


def plan(session: Session, parsed: Parsed, scope: Scope | None = None) -> Plan:
    """The plan of importing ``parsed`` into the database (or the part ``scope`` says, which
    must hold what ``parsed`` names); ``ProvinceInvalid`` lists every problem, the file's own
    and those of its references, when there is any."""
    stored = load(session, scope)
    problems = Problems()
    problems.extend(parsed.problems.found)
    _check_references(parsed, stored, problems)
    problems.raise_any()
    province = parsed.province
    result = Plan(province, stored)
    _compare(result, "office", province.offices, stored.offices, lambda r: r.code, str)
    _compare(result, "service", province.services, stored.services, lambda r: r.key, _slashed)
    _compare(result, "counter", province.counters, stored.counters, lambda r: r.key, _slashed)
    _compare(result, "user", province.users, stored.users, lambda r: r.username, str)
    return result


def _compare(result: Plan, kind: str, records: list, stored: dict, key: Any, shown: Any) -> None:
    named = set()
    for record in records:
        named.add(key(record))
        old = stored.get(key(record))
        if old is None:
            result.changes.append(Change(kind, shown(key(record))))
        elif fields := differing(old, record):
            result.changes.append(Change(kind, shown(key(record)), fields))
        else:
            result.unchanged[kind] += 1
    result.left_alone[kind] = len(set(stored) - named)


def _slashed(key: tuple[str, Any]) -> str:
    return f"{key[0]}/{key[1]}"


def _check_references(parsed: Parsed, stored: Stored, problems: Problems) -> None:
    """Offices and services named must exist in the file or the database; letters must
    stay one service's each in every office, counting the database's services too."""
    province, mentioned = parsed.province, parsed.mentioned
    offices = {o.code for o in province.offices} | mentioned.offices | set(stored.offices)
    services = {s.key for s in province.services} | mentioned.services | set(stored.services)
    missing = N_('no office "%(office)s" in the file or the database')
    for s in province.services:
        if s.office not in offices:
            problems.add(
                s.where,
                missing,
                subjects.service(s.office, s.code),
                office=s.office,
                field="office",
            )
    for c in province.counters:
        subject = subjects.counter(c.office, c.number)
        if c.office not in offices:
            problems.add(c.where, missing, subject, office=c.office, field="office")
            continue
        for code, _tier in c.services:
            if (c.office, code) not in services:
                problems.add(
                    c.where,
                    N_('no service "%(service)s" in office "%(office)s"'),
                    subject,
                    service=code,
                    office=c.office,
                    field="services",
                )
    for u in province.users:
        for code in u.offices:
            if code not in offices:
                problems.add(
                    u.where, missing, subjects.user(u.username), office=code, field="offices"
                )
    _check_letters(province.services, stored, mentioned.services, problems)


def _check_letters(
    services: list[ServiceRecord],
    stored: Stored,
    named: set[tuple[str, str]],
    problems: Problems,
) -> None:
    taken: dict[tuple[str, str], ServiceRecord] = {}
    offices = {s.office for s in services}
    for key, old in stored.services.items():
        if key[0] in offices and key not in named:
            taken[(old.office, old.letter)] = old  # kept as it is: its letter stays taken
    for s in services:
        other = taken.setdefault((s.office, s.letter), s)
        if other is s:
            continue
        subject = subjects.service(s.office, s.code)
        params = {"letter": s.letter, "other": f"{other.office}/{other.code}", "field": "letter"}
        if other.where is None:
            problems.add(
                s.where,
                N_(
                    'letter "%(letter)s" is already used by service "%(other)s", '
                    "which is in the database but not in the file"
                ),
                subject,
                **params,
            )
        else:
            problems.add(
                s.where,
                N_('letter "%(letter)s" is already used by service "%(other)s" (line %(first)s)'),
                subject,
                first=other.where.line,
                **params,
            )
