"""A plan's writes, in an order the database's unique keys allow; the caller commits.

Bulk statements (one per kind and action) rather than the unit of work: a province is
thousands of rows, and the order matters where a letter moves between two services.
"""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, insert, update
from sqlalchemy.orm import Session

from server.engine.clock import utcnow
from server.models import (
    Counter,
    CounterService,
    ManagerOffice,
    Office,
    Role,
    Service,
    StaffSession,
    User,
)
from server.province.plan import Plan

#: Stand-in letters for a service whose letter changes, while another may be taking its
#: old one: (office, letter) is unique at every statement. Never A–Z, so never a real one.
_STAND_IN = "0123456789abcdefghijklmnopqrstuvwxyz"


def apply(session: Session, plan: Plan, hashes: Mapping[str, str]) -> None:
    """Create and change what ``plan`` says; new users get the password hashes of ``hashes``."""
    created = {(c.kind, c.key) for c in plan.changes if c.creates}
    changed = {(c.kind, c.key): c.fields for c in plan.changes if not c.creates}
    writes = _Writes(session, plan, created, changed)
    writes.offices()
    writes.services()
    writes.counters()
    writes.users(hashes)


class _Writes:
    def __init__(
        self,
        session: Session,
        plan: Plan,
        created: set[tuple[str, str]],
        changed: dict[tuple[str, str], tuple[str, ...]],
    ) -> None:
        self.session, self.plan, self.stored = session, plan, plan.stored
        self.created, self.changed = created, changed
        self.office_ids = dict(plan.stored.office_ids)
        self.service_ids = dict(plan.stored.service_ids)

    def what(self, kind: str, key: str) -> tuple[bool, tuple[str, ...]]:
        """Whether the record is new, and the fields that change (none: nothing to do)."""
        return (kind, key) in self.created, self.changed.get((kind, key), ())

    def offices(self) -> None:
        new, changes = [], []
        for o in self.plan.province.offices:
            values = {
                "code": o.code,
                "name_fa": o.name_fa,
                "name_en": o.name_en,
                "timezone": o.timezone,
                "routing_policy": o.routing_policy,
            }
            creates, fields = self.what("office", o.code)
            if creates:
                new.append(values)
            elif fields:
                changes.append({"id": self.office_ids[o.code], **values})
        if changes:
            self.session.execute(update(Office), changes)
        if new:
            made = self.session.execute(
                insert(Office.__table__).returning(Office.code, Office.id), new
            )
            self.office_ids.update({code: id_ for code, id_ in made})

    def services(self) -> None:
        new, changes, stand_ins = [], [], []
        moved: Tally[str] = Tally()
        for s in self.plan.province.services:
            values = {
                "office_id": self.office_ids[s.office],
                "code": s.code,
                "letter": s.letter,
                "group": s.group,
                "name_fa": s.name_fa,
                "name_en": s.name_en,
                "target_wait_seconds": s.target_wait_seconds,
                "daily_cap": s.daily_cap,
                "opens_at": s.opens_at,
                "closes_at": s.closes_at,
                "active": s.active,
                "position": s.position,
            }
            creates, fields = self.what("service", f"{s.office}/{s.code}")
            if creates:
                new.append(values)
            elif fields:
                id_ = self.service_ids[s.key]
                changes.append({"id": id_, **values})
                if "letter" in fields:
                    n = moved[s.office]
                    moved[s.office] += 1
                    stand_ins.append({"id": id_, "letter": _STAND_IN[n // 36] + _STAND_IN[n % 36]})
        if stand_ins:
            self.session.execute(update(Service), stand_ins)
        if changes:
            self.session.execute(update(Service), changes)
        if new:
            codes = {id_: code for code, id_ in self.office_ids.items()}
            made = self.session.execute(
                insert(Service.__table__).returning(Service.office_id, Service.code, Service.id),
                new,
            )
            self.service_ids.update({(codes[o], code): id_ for o, code, id_ in made})

    def counters(self) -> None:
        new, changes = [], []
        linked: list[tuple[Any, bool]] = []
        for c in self.plan.province.counters:
            values = {
                "office_id": self.office_ids[c.office],
                "number": c.number,
                "name": c.name,
                "name_en": c.name_en,
            }
            creates, fields = self.what("counter", f"{c.office}/{c.number}")
            if creates:
                new.append(values)
            elif fields:
                changes.append({"id": self.stored.counter_ids[c.key], **values})
            if creates or "services" in fields:
                linked.append((c, creates))
        if changes:
            self.session.execute(update(Counter), changes)
        counter_ids = dict(self.stored.counter_ids)
        if new:
            codes = {id_: code for code, id_ in self.office_ids.items()}
            made = self.session.execute(
                insert(Counter.__table__).returning(Counter.office_id, Counter.number, Counter.id),
                new,
            )
            counter_ids.update({(codes[o], number): id_ for o, number, id_ in made})
        self.links(linked, counter_ids)

    def links(self, linked: list[tuple[Any, bool]], counter_ids: dict) -> None:
        """Each counter named serves exactly the services the file gives it, at its tiers."""
        added, retiered = [], []
        for c, creates in linked:
            counter_id = counter_ids[c.key]
            before = {} if creates else self._tiers(c.office, self.stored.counters[c.key].services)
            after = self._tiers(c.office, c.services)
            if gone := set(before) - set(after):
                self.session.execute(
                    delete(CounterService).where(
                        CounterService.counter_id == counter_id,
                        CounterService.service_id.in_(sorted(gone)),
                    )
                )
            for service_id, tier in after.items():
                row = {"counter_id": counter_id, "service_id": service_id, "tier": tier}
                if service_id not in before:
                    added.append(row)
                elif before[service_id] != tier:
                    retiered.append(row)
        if retiered:
            self.session.execute(update(CounterService), retiered)
        if added:
            self.session.execute(insert(CounterService.__table__), added)

    def _tiers(self, office: str, services: tuple[tuple[str, int], ...]) -> dict[int, int]:
        return {self.service_ids[(office, code)]: tier for code, tier in services}

    def users(self, hashes: Mapping[str, str]) -> None:
        new, changes, regions, disabled = [], [], [], []
        for u in self.plan.province.users:
            values = {
                "username": u.username,
                "full_name": u.full_name,
                "role": Role(u.role),
                "office_id": self.office_ids[u.offices[0]] if u.offices else None,
                "active": u.active,
            }
            creates, fields = self.what("user", u.username)
            if creates:
                new.append({**values, "password_hash": hashes[u.username]})
            elif fields:
                id_ = self.stored.user_ids[u.username]
                changes.append({"id": id_, **values})
                if "active" in fields and not u.active:
                    disabled.append(id_)
            if creates or {"role", "offices"} & set(fields):
                regions.append(u)
        if changes:
            self.session.execute(update(User), changes)
        user_ids = dict(self.stored.user_ids)
        if new:
            made = self.session.execute(
                insert(User.__table__).returning(User.username, User.id), new
            )
            user_ids.update({name: id_ for name, id_ in made})
        self.regions(regions, user_ids)
        if disabled:
            # As ``nobat user disable``: signed out at once (their tokens are refused already).
            self.session.execute(
                update(StaffSession)
                .where(StaffSession.user_id.in_(disabled), StaffSession.ended_at.is_(None))
                .values(ended_at=utcnow())
            )

    def regions(self, users: list[Any], user_ids: dict[str, int]) -> None:
        """A manager's offices after their own are their region; other roles have none."""
        ids = [user_ids[u.username] for u in users]
        if ids:
            self.session.execute(delete(ManagerOffice).where(ManagerOffice.user_id.in_(ids)))
        rows = [
            {"user_id": user_ids[u.username], "office_id": self.office_ids[code]}
            for u in users
            if u.role == Role.MANAGER.value
            for code in u.offices[1:]
        ]
        if rows:
            self.session.execute(insert(ManagerOffice.__table__), rows)
