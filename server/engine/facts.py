"""Immutable pictures of offices, counters and tickets: what commands return and events carry.

The hot paths (issue, call next) read and write through prebuilt Core
statements: SQLAlchemy's ORM costs several times more per statement than a
compiled, cached Core statement, and these run for every ticket.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session

from server.engine.cache import cached
from server.engine.sql.prepared import Prepared
from server.models import (
    Counter,
    CounterService,
    CounterState,
    Office,
    Service,
    Ticket,
    TicketStatus,
    User,
)

offices, services, counters, tickets, users = (
    Office.__table__,
    Service.__table__,
    Counter.__table__,
    Ticket.__table__,
    User.__table__,
)
# Plain tables, not ORM entities: an ORM-flavoured UPDATE is rebuilt (and its cache
# key computed again) on every execution, which on this path costs more than the SQL.
links = CounterService.__table__


@dataclass(frozen=True)
class OfficeFacts:
    id: int
    code: str
    timezone: str
    routing_policy: str
    name_fa: str
    name_en: str


_OFFICE = select(
    offices.c.id,
    offices.c.code,
    offices.c.timezone,
    offices.c.routing_policy,
    offices.c.name_fa,
    offices.c.name_en,
)
_OFFICE_BY_CODE = _OFFICE.where(offices.c.code == bindparam("key"))
_OFFICE_BY_ID = _OFFICE.where(offices.c.id == bindparam("key"))


# What every request reads and an administrator rarely changes (an office, the office
# of a counter, the code of a service) is kept for a few seconds (server/engine/cache.py).
CACHE_SECONDS = 10.0


OFFICE_CODE = re.compile(r"[a-z0-9_-]{1,32}")


def office_by_code(session: Session, code: str) -> OfficeFacts | None:
    """The office with this code, if any (a code no office can have is not looked up)."""
    if not OFFICE_CODE.fullmatch(code):
        return None
    return cached(
        session, "office-code", code, CACHE_SECONDS, lambda: _office(session, _OFFICE_BY_CODE, code)
    )


def office_by_id(session: Session, office_id: int) -> OfficeFacts:
    """The office with this id (which must exist)."""
    office = cached(
        session,
        "office-id",
        office_id,
        CACHE_SECONDS,
        lambda: _office(session, _OFFICE_BY_ID, office_id),
    )
    if office is None:
        raise LookupError(f"no office {office_id}")
    return office


def _office(session: Session, query: Select, key: str | int) -> OfficeFacts | None:
    row = session.execute(query, {"key": key}).first()
    return OfficeFacts(*row) if row else None


_SERVICE_NAMES = select(services.c.code, services.c.name_fa, services.c.name_en).where(
    services.c.id == bindparam("id")
)
_COUNTER_OFFICE = select(counters.c.office_id).where(counters.c.id == bindparam("id"))


@dataclass(frozen=True)
class ServiceNames:
    code: str
    name_fa: str
    name_en: str

    def __str__(self) -> str:
        """The English name: messages are English until the web layer translates them."""
        return self.name_en


def service_names(session: Session, service_id: int) -> ServiceNames:
    """The code and names of the service with this id (which must exist)."""
    return cached(
        session,
        "service-names",
        service_id,
        CACHE_SECONDS,
        lambda: ServiceNames(*session.execute(_SERVICE_NAMES, {"id": service_id}).one()),
    )


def counter_office(session: Session, counter_id: int) -> int | None:
    """The office of the counter with this id, if there is one."""
    return cached(
        session,
        "counter-office",
        counter_id,
        CACHE_SECONDS,
        lambda: session.execute(_COUNTER_OFFICE, {"id": counter_id}).scalar(),
    )


@dataclass(frozen=True)
class CounterFacts:
    id: int
    office_id: int
    number: int
    name: str
    name_en: str
    state: CounterState
    clerk_id: int | None
    priority_streak: int
    pause_reason: str | None = None
    #: The holder's user name (who opened it), for colleagues' screens.
    clerk: str | None = None

    def as_event(self) -> dict[str, Any]:
        """The public picture carried by events and snapshots."""
        return counter_picture(
            self.id,
            self.number,
            self.name,
            self.name_en,
            self.state,
            self.clerk_id,
            self.clerk,
            self.pause_reason,
        )


def counter_picture(
    id: int,
    number: int,
    name: str,
    name_en: str,
    state: CounterState | str,
    clerk_id: int | None,
    clerk: str | None,
    pause_reason: str | None,
) -> dict[str, Any]:
    """A counter as events and snapshots show it: the same keys in both."""
    return {
        "id": id,
        "number": number,
        "name": name,
        "name_en": name_en,
        "state": CounterState(state).value,
        "clerk_id": clerk_id,
        "clerk": clerk,
        "pause_reason": pause_reason,
    }


#: The holder's name: a subquery, so the row lock stays on the counter alone.
_HOLDER_NAME = select(users.c.username).where(users.c.id == counters.c.clerk_id).scalar_subquery()
COUNTER_COLUMNS = (
    counters.c.id,
    counters.c.office_id,
    counters.c.number,
    counters.c.name,
    counters.c.name_en,
    counters.c.state,
    counters.c.clerk_id,
    counters.c.priority_streak,
    counters.c.pause_reason,
    _HOLDER_NAME,
)
_COUNTER_FOR_UPDATE = Prepared(
    select(*COUNTER_COLUMNS).where(counters.c.id == bindparam("id")).with_for_update(of=counters)
)


def locked_counter(session: Session, counter_id: int) -> CounterFacts | None:
    """The counter, locked until commit.

    Its row is locked, or the whole database where one transaction writes at a time.
    """
    row = _COUNTER_FOR_UPDATE.first(session, {"id": counter_id})
    return CounterFacts(*row) if row else None


@dataclass(frozen=True)
class TicketFacts:
    id: int
    office_id: int
    service_id: int
    business_date: date
    sequence: int
    number: str
    priority: bool
    priority_reason: str | None
    status: TicketStatus
    issued_at: datetime
    queued_at: datetime
    called_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    counter_id: int | None
    clerk_id: int | None
    transferred_from_id: int | None
    recall_count: int
    public_token: str
    service_code: str
    timezone: str
    counter_name: str | None = None
    counter_number: int | None = None
    counter_name_en: str | None = None

    def as_event(self) -> dict[str, Any]:
        """The public picture carried by events and snapshots."""
        return {
            "id": self.id,
            "number": self.number,
            "service": self.service_code,
            "status": self.status.value,
            "priority": self.priority,
            "counter": self.counter_id,
            "counter_name": self.counter_name,
            "counter_name_en": self.counter_name_en,
            "recall_count": self.recall_count,
            "called_at": self.called_at,
        }


TICKET_COLUMNS = tuple(tickets.c[f.name] for f in fields(TicketFacts)[:19])

_TICKET_VIEW = (
    select(
        *TICKET_COLUMNS,
        services.c.code,
        offices.c.timezone,
        counters.c.name,
        counters.c.number,
        counters.c.name_en,
    )
    .join(services, services.c.id == tickets.c.service_id)
    .join(offices, offices.c.id == tickets.c.office_id)
    .outerjoin(counters, counters.c.id == tickets.c.counter_id)
)
_TICKET_BY_ID = _TICKET_VIEW.where(tickets.c.id == bindparam("id"))


def ticket_by_id(session: Session, ticket_id: int) -> TicketFacts | None:
    """The ticket with its service code, office zone and counter, in one query."""
    row = session.execute(_TICKET_BY_ID, {"id": ticket_id}).first()
    return TicketFacts(*row) if row else None


def ticket_at_counter(
    session: Session, row: Any, office: OfficeFacts, counter: CounterFacts
) -> TicketFacts:
    """The facts of a ticket at ``counter`` from its :data:`TICKET_COLUMNS` (an UPDATE's
    RETURNING), without reading it again."""
    return TicketFacts(
        *row,
        service_code=service_names(session, row.service_id).code,
        timezone=office.timezone,
        counter_name=counter.name,
        counter_number=counter.number,
        counter_name_en=counter.name_en,
    )


def ticket_view() -> Any:
    """The select behind :class:`TicketFacts`, for queries that list tickets."""
    return _TICKET_VIEW
