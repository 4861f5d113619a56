"""The office's live board: what waits, who is being served, counters, and the sequence number.

Read together with the office's sequence number, so a client that applies
later events with higher numbers never shows a stale board. Every query is
bounded by today's open tickets or a fixed limit: the board's cost does not
grow with history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from server.engine import availability
from server.engine.clock import business_date, utcnow
from server.engine.estimates import Ahead, Estimate, estimate, newcomers_ahead, waiting_counts
from server.engine.facts import (
    COUNTER_COLUMNS,
    CounterFacts,
    OfficeFacts,
    TicketFacts,
    counters,
    offices,
    ticket_view,
    tickets,
)
from server.engine.settings import EngineSettings
from server.models import IS_CURRENT, IS_WAITING, Service

RECENT_CALLS = 10
_UNSERVED = Ahead({}, served=False)

_SEQ = select(offices.c.event_seq).where(offices.c.id == bindparam("office_id"))
_COUNTERS = (
    select(*COUNTER_COLUMNS)
    .where(counters.c.office_id == bindparam("office_id"))
    .order_by(counters.c.number)
)
_CURRENT = ticket_view().where(tickets.c.office_id == bindparam("office_id"), IS_CURRENT)
_RECENT = (
    ticket_view()
    .where(
        tickets.c.office_id == bindparam("office_id"),
        tickets.c.business_date == bindparam("day"),
        tickets.c.called_at.is_not(None),
    )
    .order_by(tickets.c.called_at.desc(), tickets.c.id.desc())
    .limit(RECENT_CALLS)
)
# The longest wait at this moment, per service (the managers' dashboard shows it).
_OLDEST = (
    select(tickets.c.service_id, func.min(tickets.c.queued_at))
    .where(
        tickets.c.office_id == bindparam("office_id"),
        tickets.c.business_date == bindparam("day"),
        IS_WAITING,
    )
    .group_by(tickets.c.service_id)
)


@dataclass(frozen=True)
class ServiceQueue:
    service: Service
    waiting: int
    estimate: Estimate | None
    unavailable: str | None = None
    oldest_queued_at: datetime | None = None
    #: The cap that holds for the service today: its own, else the default (None: none).
    daily_cap: int | None = None


@dataclass(frozen=True)
class Snapshot:
    office: OfficeFacts
    seq: int
    at: datetime
    services: list[ServiceQueue]
    counters: list[dict[str, Any]]
    recent_calls: list[dict[str, Any]]


def unavailable(
    service: Service, timezone: str, now: datetime, daily_cap: int | None, issued: int
) -> str | None:
    """Why ``service`` issues no ticket now (None when it does), ``issued`` numbers today."""
    why = availability.reason(
        active=service.active,
        opens_at=service.opens_at,
        closes_at=service.closes_at,
        daily_cap=daily_cap,
        issued=issued,
        timezone=timezone,
        now=now,
    )
    return why.value if why else None


def take(
    session: Session, office: OfficeFacts, settings: EngineSettings, now: datetime | None = None
) -> Snapshot:
    """The office's board as of now."""
    now = now or utcnow()
    params = {"office_id": office.id}
    # The number is read first: under READ COMMITTED the board may then include a
    # later change (whose event a client re-applies harmlessly), never miss one.
    seq = session.execute(_SEQ, params).scalar_one()
    day = business_date(office.timezone, now)
    counts = waiting_counts(session, office.id, day)
    # A service's wait is what a new ordinary ticket of it would wait, other services'
    # tickets at shared counters included; its own waiting count alone would understate it.
    ahead = newcomers_ahead(session, office, counts)
    oldest = dict(session.execute(_OLDEST, {**params, "day": day}).all())
    issued = availability.issued_today(session, office.id, day)
    services = session.scalars(
        select(Service).where(Service.office_id == office.id).order_by(Service.position, Service.id)
    ).all()
    queues = [
        ServiceQueue(
            service=service,
            waiting=counts.get(service.id, 0),
            estimate=estimate(session, ahead.get(service.id, _UNSERVED), settings),
            unavailable=unavailable(
                service,
                office.timezone,
                now,
                settings.daily_cap(service.daily_cap),
                issued.get(service.id, 0),
            ),
            oldest_queued_at=oldest.get(service.id),
            daily_cap=settings.daily_cap(service.daily_cap),
        )
        for service in services
    ]
    current = {row.counter_id: TicketFacts(*row) for row in session.execute(_CURRENT, params)}
    board = []
    for row in session.execute(_COUNTERS, params):
        counter = CounterFacts(*row)
        ticket = current.get(counter.id)
        board.append({**counter.as_event(), "ticket": ticket.as_event() if ticket else None})
    recent = session.execute(_RECENT, {**params, "day": day})
    return Snapshot(
        office=office,
        seq=seq,
        at=now,
        services=queues,
        counters=board,
        recent_calls=[TicketFacts(*row).as_event() for row in recent],
    )
