"""Ticket numbers: a letter per service and a daily sequence, allocated atomically."""

from __future__ import annotations

from datetime import date

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from server.models import DailySequence

# The two supported databases; both speak INSERT ... ON CONFLICT ... RETURNING.
_UPSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def next_sequence(session: Session, service_id: int, day: date) -> int:
    """Bump and return the service's counter for ``day`` in one statement.

    The upsert takes the row lock, so concurrent requests in any process queue
    behind it and each gets its own number; the unique constraint on tickets
    backs this up should anything else go wrong.
    """
    upsert = _UPSERTS[session.get_bind().dialect.name]
    stmt = upsert(DailySequence).values(service_id=service_id, business_date=day, last=1)
    stmt = stmt.on_conflict_do_update(
        index_elements=[DailySequence.service_id, DailySequence.business_date],
        set_={"last": DailySequence.last + 1},
    ).returning(DailySequence.last)
    return session.execute(stmt).scalar_one()


def display_number(letter: str, sequence: int) -> str:
    """``B-007``: three digits at least, more when a busy day needs them."""
    return f"{letter}-{sequence:03d}"
