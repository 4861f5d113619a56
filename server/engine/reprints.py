"""Printing a ticket again: only while the citizen still needs the paper, a few times.

A lost or jammed ticket is printed again for the citizen while the ticket waits or has
just been called (the clerk asks for the paper to be sure who stands at the counter).
After that the paper serves nobody, and a ticket printed again and again is a way to
hand one number to several people. Every reprint is a ``reprinted`` event, so the audit
trail counts them and says who asked.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from server.engine import events
from server.engine.clock import utcnow
from server.engine.errors import N_, DomainError
from server.engine.events import Actor
from server.engine.facts import TicketFacts, ticket_by_id
from server.engine.holding import locked_ticket
from server.models import EventType, TicketEvent, TicketStatus

#: While the citizen may still need the paper.
REPRINTABLE = frozenset({TicketStatus.WAITING, TicketStatus.CALLED})

_events = TicketEvent.__table__
_REPRINTS = select(func.count()).where(
    _events.c.ticket_id == bindparam("id"), _events.c.type == EventType.REPRINTED
)


class ReprintRefused(DomainError):
    code = "reprint_refused"


def reprint(
    session: Session,
    ticket_id: int,
    *,
    limit: int,
    actor: Actor = events.SYSTEM,
    now: datetime | None = None,
) -> TicketFacts:
    """Record one more printing of the ticket, if allowed; the caller makes the print job.

    The ticket's row stays locked until commit, so two staff asking at once are counted
    one after the other.
    """
    ticket = locked_ticket(session, ticket_id)
    if ticket.status not in REPRINTABLE:
        raise ReprintRefused(
            N_("ticket %(number)s is %(status)s; only a waiting or called ticket is printed again"),
            number=ticket.number,
            status=ticket.status,
        )
    done = session.execute(_REPRINTS, {"id": ticket_id}).scalar_one()
    if done >= limit:
        raise ReprintRefused(
            N_("ticket %(number)s has already been printed again as often as allowed (%(count)s)"),
            number=ticket.number,
            count=done,
        )
    facts = ticket_by_id(session, ticket_id)
    events.record(
        session,
        EventType.REPRINTED,
        office_id=ticket.office_id,
        at=now or utcnow(),
        actor=actor,
        ticket=facts,
        detail=f"reprint {done + 1} of {limit}",
    )
    return facts
