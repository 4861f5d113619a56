"""What the database holds of a province, as records with their ids.

Sorted in Python, not by the database, so SQLite and PostgreSQL (whose collations
differ) export the same file.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from server.models import Counter, CounterService, ManagerOffice, Office, Role, Service, User
from server.province.records import (
    CounterRecord,
    OfficeRecord,
    Province,
    ServiceRecord,
    UserRecord,
)


@dataclass
class Stored:
    """Records by key, and the ids the import needs to change them."""

    offices: dict[str, OfficeRecord] = field(default_factory=dict)
    services: dict[tuple[str, str], ServiceRecord] = field(default_factory=dict)
    counters: dict[tuple[str, int], CounterRecord] = field(default_factory=dict)
    users: dict[str, UserRecord] = field(default_factory=dict)
    office_ids: dict[str, int] = field(default_factory=dict)
    service_ids: dict[tuple[str, str], int] = field(default_factory=dict)
    counter_ids: dict[tuple[str, int], int] = field(default_factory=dict)
    user_ids: dict[str, int] = field(default_factory=dict)

    def province(self) -> Province:
        """Everything, in the order files are written."""
        return Province(
            offices=[self.offices[code] for code in sorted(self.offices)],
            services=sorted(self.services.values(), key=lambda s: (s.office, s.position, s.code)),
            counters=[self.counters[key] for key in sorted(self.counters)],
            users=[self.users[name] for name in sorted(self.users)],
        )


@dataclass(frozen=True)
class Scope:
    """Part of the database: these offices (with their services and counters) and these users
    (with the offices they belong to). An admin form saves one record without reading all."""

    offices: frozenset[str] = frozenset()
    users: frozenset[str] = frozenset()


def load(session: Session, scope: Scope | None = None) -> Stored:
    """Every office, service, counter and user of the database, or those of ``scope``."""
    stored = Stored()
    codes: dict[int, str] = {}
    offices = select(
        Office.id,
        Office.code,
        Office.name_fa,
        Office.name_en,
        Office.timezone,
        Office.routing_policy,
    )
    users = select(User.id, User.username, User.full_name, User.role, User.office_id, User.active)
    regions_of = select(ManagerOffice.user_id, ManagerOffice.office_id)
    if scope is not None:
        users = users.where(User.username.in_(sorted(scope.users)))
        regions_of = regions_of.where(
            ManagerOffice.user_id.in_(select(User.id).where(User.username.in_(sorted(scope.users))))
        )
        theirs = select(User.office_id).where(User.username.in_(sorted(scope.users)))
        offices = offices.where(
            Office.code.in_(sorted(scope.offices))
            | Office.id.in_(theirs)
            | Office.id.in_(regions_of.with_only_columns(ManagerOffice.office_id))
        )
    for row in session.execute(offices):
        codes[row.id] = row.code
        stored.office_ids[row.code] = row.id
        stored.offices[row.code] = OfficeRecord(
            row.code, row.name_fa, row.name_en, row.timezone, row.routing_policy
        )
    service_codes: dict[int, str] = {}
    in_scope = list(codes) if scope is not None else None
    for s in session.execute(
        _within(
            Service.office_id,
            in_scope,
            select(
                Service.id,
                Service.office_id,
                Service.code,
                Service.letter,
                Service.group,
                Service.name_fa,
                Service.name_en,
                Service.target_wait_seconds,
                Service.daily_cap,
                Service.opens_at,
                Service.closes_at,
                Service.active,
                Service.position,
            ),
        )
    ):
        service_codes[s.id] = s.code
        key = (codes[s.office_id], s.code)
        stored.service_ids[key] = s.id
        stored.services[key] = ServiceRecord(
            office=key[0],
            code=s.code,
            letter=s.letter,
            group=s.group,
            name_fa=s.name_fa,
            name_en=s.name_en,
            target_wait_seconds=s.target_wait_seconds,
            daily_cap=s.daily_cap,
            opens_at=s.opens_at,
            closes_at=s.closes_at,
            active=s.active,
            position=s.position,
        )
    links: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for counter_id, service_id, tier in session.execute(
        _within(
            Counter.office_id,
            in_scope,
            select(CounterService.counter_id, CounterService.service_id, CounterService.tier).join(
                Counter, Counter.id == CounterService.counter_id
            ),
        )
    ):
        links[counter_id].append((service_codes[service_id], tier))
    for row in session.execute(
        _within(
            Counter.office_id,
            in_scope,
            select(Counter.id, Counter.office_id, Counter.number, Counter.name, Counter.name_en),
        )
    ):
        key = (codes[row.office_id], row.number)
        stored.counter_ids[key] = row.id
        stored.counters[key] = CounterRecord(
            key[0], row.number, row.name, row.name_en, tuple(links[row.id])
        )
    regions: dict[int, list[str]] = defaultdict(list)
    for user_id, office_id in session.execute(regions_of):
        regions[user_id].append(codes[office_id])
    for row in session.execute(users):
        own = codes.get(row.office_id) if row.office_id is not None else None
        # Only a manager's region counts (auth.managed_offices); other roles' rows are ignored.
        region = regions[row.id] if row.role is Role.MANAGER else []
        offices = (own, *region) if own else tuple(region)
        stored.user_ids[row.username] = row.id
        stored.users[row.username] = UserRecord(
            row.username, row.full_name, row.role.value, tuple(dict.fromkeys(offices)), row.active
        )
    return stored


def _within(office_id: Any, ids: list[int] | None, query: Select) -> Select:
    return query if ids is None else query.where(office_id.in_(ids))
