"""The business day: tickets still open when the office's day ended become ``expired``."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.engine import cache, events, lifecycle
from server.engine.clock import business_date
from server.engine.facts import OfficeFacts, ticket_by_id
from server.models import IS_OPEN, EventType, Ticket

# Offices whose previous days this process already swept, by business date.
_swept: dict[tuple[str, int], date] = cache.keep("day sweeps")


def close_day(session: Session, office: OfficeFacts, now: datetime) -> int:
    """Expire every open ticket of the office from before its current business day."""
    today = business_date(office.timezone, now)
    stale = session.scalars(
        select(Ticket)
        .where(IS_OPEN, Ticket.office_id == office.id, Ticket.business_date < today)
        .order_by(Ticket.id)
        .with_for_update(skip_locked=True)
    ).all()
    for ticket in stale:
        lifecycle.apply(ticket, lifecycle.Action.EXPIRE, now)
    session.flush()
    for ticket in stale:
        events.record(
            session,
            EventType.EXPIRED,
            office_id=office.id,
            at=now,
            actor=events.SYSTEM,
            ticket=ticket_by_id(session, ticket.id),
        )
    return len(stale)


def ensure_closed(session: Session, office: OfficeFacts, now: datetime) -> date:
    """Sweep previous days once per process and day, lazily, on the office's first action."""
    today = business_date(office.timezone, now)
    key = (str(session.get_bind().url), office.id)
    if _swept.get(key) != today:
        close_day(session, office, now)
        _swept[key] = today
    return today
