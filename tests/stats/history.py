"""Hand-built histories for statistics tests: ticket and event rows as the engine writes them."""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta
from itertools import count

from sqlalchemy.orm import Session

from server.models import Counter, EventType, Office, Ticket, TicketEvent, TicketStatus

_sequence = count(1)


def ticket(
    session: Session,
    office: Office,
    service: str,
    day: date,
    issued: datetime,
    status: TicketStatus,
    *,
    called: datetime | None = None,
    started: datetime | None = None,
    finished: datetime | None = None,
    counter: Counter | None = None,
    clerk: int | None = None,
    queued: datetime | None = None,
    parked: timedelta = timedelta(0),
) -> Ticket:
    """A ticket of ``office``'s ``service`` (by code) with its times set (``parked``: the
    time it spent parked, as the engine adds it up on resuming)."""
    found = next(s for s in office.services if s.code == service)
    n = next(_sequence)
    result = Ticket(
        office_id=office.id,
        service_id=found.id,
        business_date=day,
        sequence=n,
        number=f"{found.letter}-{n:03d}",
        status=status,
        issued_at=issued,
        queued_at=queued or issued,
        called_at=called,
        started_at=started,
        finished_at=finished,
        counter_id=counter.id if counter else None,
        clerk_id=clerk,
        public_token=secrets.token_urlsafe(16),
        parked_us=parked // timedelta(microseconds=1),
    )
    session.add(result)
    session.flush()
    return result


def ticket_event(session: Session, ticket: Ticket, type: EventType, at: datetime) -> None:
    """A step in a ticket's trail (``parked``, ``resumed``) at its counter."""
    session.add(
        TicketEvent(
            office_id=ticket.office_id,
            ticket_id=ticket.id,
            type=type,
            at=at,
            counter_id=ticket.counter_id,
            actor_id=ticket.clerk_id,
            seq=next(_sequence),
        )
    )
    session.flush()


def counter_event(
    session: Session, counter: Counter, at: datetime, detail: str, clerk: int | None
) -> None:
    """A counter state change (``open``, ``paused:<reason>``, ``closed``) by ``clerk``."""
    session.add(
        TicketEvent(
            office_id=counter.office_id,
            type=EventType.COUNTER,
            at=at,
            counter_id=counter.id,
            actor_id=clerk,
            seq=next(_sequence),
            detail=detail,
        )
    )
    session.flush()
