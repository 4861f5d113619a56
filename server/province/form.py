"""One office, service, counter or user saved from an administration form.

A form is a province file of one record: the same fields, the same checks and messages,
the same writes, so there is one place that says what a valid service is. Only the part
of the database the record touches is read. Each problem names its field
(``params["field"]``), for the page to say it next to the field. The caller records the
change in the audit log and commits: all of it, or nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from datetime import time
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.engine.errors import N_
from server.models import Office, Service
from server.passwords import generate_password
from server.province.apply import apply
from server.province.checks import check
from server.province.fields import Cell, Row
from server.province.importing import Hasher, hash_each
from server.province.plan import plan
from server.province.problems import Problems, Where
from server.province.records import CounterRecord, OfficeRecord, ServiceRecord, UserRecord
from server.province.stored import Scope

Record = OfficeRecord | ServiceRecord | CounterRecord | UserRecord

#: Where a form's problems are said to be (a form has one "line").
FORM = Where("form", 1)

#: What each field is called on the pages, for messages that name it.
LABELS = {
    "code": N_("code"),
    "name_fa": N_("Persian name"),
    "name_en": N_("English name"),
    "name": N_("name"),
    "timezone": N_("time zone"),
    "routing_policy": N_("routing"),
    "office": N_("office"),
    "letter": N_("letter"),
    "group": N_("group"),
    "target_wait_seconds": N_("target wait"),
    "daily_cap": N_("daily cap"),
    "opens_at": N_("opening time"),
    "closes_at": N_("closing time"),
    "active": N_("active"),
    "number": N_("number"),
    "services": N_("services"),
    "username": N_("user name"),
    "full_name": N_("full name"),
    "role": N_("role"),
    "offices": N_("offices"),
}


@dataclass(frozen=True)
class Saved:
    """What one save did: the record before (None: created) and after, and a new user's
    password (shown once; only its hash is kept)."""

    before: Record | None
    after: Record
    password: str | None = None

    @property
    def created(self) -> bool:
        return self.before is None


def save(
    session: Session, kind: str, values: Mapping[str, Any], *, hasher: Hasher = hash_each
) -> Saved:
    """Create or change the record of ``kind`` (``offices``, ``services``, ``counters`` or
    ``users``) that ``values`` name by its key; ``ProvinceInvalid`` if anything is wrong.

    ``values`` are JSON values by field name: text, numbers, booleans, null; a counter's
    ``services`` a list of ``{"service", "tier"}``, a user's ``offices`` a list of codes.
    """
    problems = Problems()
    parsed = check([_row(kind, values)], problems)
    problems.raise_any()
    records = getattr(parsed.province, kind)
    if kind == "services":
        records[0] = replace(records[0], position=_position(session, records[0]))
    record = records[0]
    scope = _scope(record)
    changes = plan(session, parsed, scope)
    key = changes.changes[0].key if changes.changes else None
    before = _stored(changes.stored, record)
    if key is None:
        return Saved(before, record)
    hashes, password = {}, None
    if kind == "users" and before is None:
        password = generate_password()
        hashes = {record.username: hasher([password])[0]}  # type: ignore[union-attr]
    apply(session, changes, hashes)
    return Saved(before, record, password)


def shown(record: Record | None) -> dict[str, Any] | None:
    """A record as the API and the audit log show it: times as ``HH:MM``, lists as lists."""
    if record is None:
        return None
    values = {k: v for k, v in asdict(record).items() if k not in {"where", "position"}}
    for name, value in values.items():
        if isinstance(value, time):
            values[name] = value.strftime("%H:%M")
        elif name == "services":
            values[name] = [{"service": code, "tier": tier} for code, tier in value]
        elif isinstance(value, tuple):
            values[name] = list(value)
    return values


def _row(kind: str, values: Mapping[str, Any]) -> Row:
    cells = {}
    for name, value in values.items():
        if name == "services" and isinstance(value, list):
            cells[name] = Cell(
                tuple((_cell(link.get("service")), _cell(link.get("tier"))) for link in value), 1
            )
        elif isinstance(value, list):
            cells[name] = Cell(tuple(_cell(v) for v in value), 1)
        else:
            cells[name] = _cell(value)
    return Row(kind, FORM, cells)


def _cell(value: Any) -> Cell:
    if isinstance(value, bool):
        return Cell("true" if value else "false", 1)
    return Cell(None if value is None else str(value), 1)


def _position(session: Session, record: ServiceRecord) -> int:
    """A service keeps its place in the kiosk's list; a new one comes last."""
    office = select(Office.id).where(Office.code == record.office).scalar_subquery()
    found = session.scalar(
        select(Service.position).where(Service.office_id == office, Service.code == record.code)
    )
    if found is not None:
        return found
    last = session.scalar(select(func.max(Service.position)).where(Service.office_id == office))
    return 0 if last is None else last + 1


def _scope(record: Record) -> Scope:
    if isinstance(record, OfficeRecord):
        return Scope(offices=frozenset({record.code}))
    if isinstance(record, UserRecord):
        return Scope(offices=frozenset(record.offices), users=frozenset({record.username}))
    return Scope(offices=frozenset({record.office}))


def _stored(stored: Any, record: Record) -> Record | None:
    if isinstance(record, OfficeRecord):
        return stored.offices.get(record.code)
    if isinstance(record, UserRecord):
        return stored.users.get(record.username)
    if isinstance(record, ServiceRecord):
        return stored.services.get(record.key)
    return stored.counters.get(record.key)
