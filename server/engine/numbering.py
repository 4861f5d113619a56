"""Ticket numbers: a letter per service and a daily sequence, allocated atomically."""

from __future__ import annotations

from datetime import date

from sqlalchemy import bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from server.engine.prepared import Prepared
from server.models import DailySequence

_table = DailySequence.__table__


def _bump(insert):
    stmt = insert(_table).values(
        service_id=bindparam("service_id"), business_date=bindparam("day"), last=1
    )
    return stmt.on_conflict_do_update(
        index_elements=[_table.c.service_id, _table.c.business_date],
        set_={"last": _table.c.last + 1},
    ).returning(_table.c.last)


# The two supported databases; both speak INSERT ... ON CONFLICT ... RETURNING.
_BUMP = {
    "postgresql": Prepared(_bump(postgresql.insert)),
    "sqlite": Prepared(_bump(sqlite.insert)),
}


def next_sequence(session: Session, service_id: int, day: date) -> int:
    """Bump and return the service's counter for ``day`` in one statement.

    The upsert takes the row lock, so concurrent requests in any process queue
    behind it and each gets its own number; the unique constraint on tickets
    backs this up should anything else go wrong.
    """
    bump = _BUMP[session.get_bind().dialect.name]
    return bump.scalar(session, {"service_id": service_id, "day": day})


def display_number(letter: str, sequence: int) -> str:
    """``B-007``: three digits at least, more when a busy day needs them."""
    return f"{letter}-{sequence:03d}"
