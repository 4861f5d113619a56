"""Ticket numbers: a letter per service and a daily sequence, allocated atomically.

The allocation itself is one statement with the ticket's insert (``engine/sql/sequence.py``):
the upsert takes the row lock, so concurrent requests in any process queue behind it
and each gets its own number; the unique constraint on tickets backs this up. The cap
is held by the same statement, so two requests racing for the last number cannot both
get one.
"""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from server.engine.errors import N_, InvalidNumber
from server.models import Service, Ticket

_tickets, _services = Ticket.__table__, Service.__table__


#: The cap bound when a number has none (a transfer, or no cap configured).
NO_CAP = 2**31 - 1


def display_number(letter: str, sequence: int) -> str:
    """``B-007``: three digits at least, more when a busy day needs them."""
    return f"{letter}-{sequence:03d}"


#: A number as a clerk types it: "B-007", "b7", "B 07", with Persian or Arabic digits.
_TYPED = re.compile(r"([A-Z]{1,2})[\s-]*0*([0-9]{1,6})")
_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")


def parse_number(typed: str) -> tuple[str, int] | None:
    """The service letter and sequence of a typed ticket number, or None if it is none."""
    match = _TYPED.fullmatch(typed.strip().translate(_DIGITS).upper())
    if match is None or int(match.group(2)) == 0:
        return None
    return match.group(1), int(match.group(2))


_BY_NUMBER = (
    select(_tickets.c.id)
    .join(_services, _services.c.id == _tickets.c.service_id)
    .where(
        _services.c.office_id == bindparam("office"),
        _services.c.letter == bindparam("letter"),
        _tickets.c.business_date == bindparam("day"),
        _tickets.c.sequence == bindparam("sequence"),
    )
)


def find(session: Session, office_id: int, day: date, typed: str) -> int | None:
    """The id of the office's ticket of ``day`` with the number a clerk typed, if any.

    One row of the (service, day, sequence) unique index: a number is never reused
    within a day.
    """
    parsed = parse_number(typed)
    if parsed is None:
        raise InvalidNumber(
            N_("%(number)s is not a ticket number (a letter and digits, e.g. B-007)"),
            number=typed,
        )
    letter, sequence = parsed
    params = {"office": office_id, "letter": letter, "day": day, "sequence": sequence}
    return session.execute(_BY_NUMBER, params).scalar()
