"""The office's live board: what waits, who is being served, counters, and the sequence number.

Read in one transaction together with the office's sequence number, so a client
that applies later events with higher numbers never shows a stale board. Every
query is bounded by today's open tickets or a fixed limit: the board's cost does
not grow with history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from server.engine.clock import business_date, utcnow
from server.engine.estimates import Estimate, estimate, waiting_counts
from server.engine.events import counter_data, ticket_data
from server.engine.settings import EngineSettings
from server.models import IS_CURRENT, Counter, Office, Service, Ticket

RECENT_CALLS = 10


@dataclass(frozen=True)
class ServiceQueue:
    service: Service
    waiting: int
    estimate: Estimate | None


@dataclass(frozen=True)
class Snapshot:
    office: Office
    seq: int
    at: datetime
    services: list[ServiceQueue]
    counters: list[dict[str, Any]]
    recent_calls: list[dict[str, Any]]


def take(
    session: Session, office: Office, settings: EngineSettings, now: datetime | None = None
) -> Snapshot:
    """The office's board as of now."""
    now = now or utcnow()
    session.refresh(office, ["event_seq"])
    day = business_date(office.timezone, now)
    counts = waiting_counts(session, office.id, day)
    services = session.scalars(
        select(Service).where(Service.office_id == office.id).order_by(Service.position, Service.id)
    ).all()
    queues = [
        ServiceQueue(
            service=service,
            waiting=counts.get(service.id, 0),
            estimate=estimate(session, service.id, counts.get(service.id, 0), settings),
        )
        for service in services
    ]
    current = {
        ticket.counter_id: ticket
        for ticket in session.scalars(
            select(Ticket)
            .where(Ticket.office_id == office.id, IS_CURRENT)
            .options(selectinload(Ticket.service))
        )
    }
    counters = []
    for counter in session.scalars(
        select(Counter).where(Counter.office_id == office.id).order_by(Counter.number)
    ):
        ticket = current.get(counter.id)
        counters.append(
            {**counter_data(counter), "ticket": ticket_data(ticket) if ticket else None}
        )
    recent = session.scalars(
        select(Ticket)
        .where(
            Ticket.office_id == office.id,
            Ticket.business_date == day,
            Ticket.called_at.is_not(None),
        )
        .order_by(Ticket.called_at.desc(), Ticket.id.desc())
        .limit(RECENT_CALLS)
        .options(selectinload(Ticket.service), selectinload(Ticket.counter))
    ).all()
    return Snapshot(
        office=office,
        seq=office.event_seq,
        at=now,
        services=queues,
        counters=counters,
        recent_calls=[ticket_data(t) for t in recent],
    )
