"""A manager's bulk cancel: today's waiting tickets of a service, a range of numbers or all.

For clearing a flood (a kiosk token used to issue hundreds of tickets) without SQL. Each
ticket goes through the life cycle's own *cancel* and gets its ``cancelled`` event, so
boards and ticket pages follow as for a clerk's cancel, and the audit trail names who
did it; each event's detail also says which range and how many, as there is no audit
table beside the events.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.engine import events, lifecycle
from server.engine.clock import business_date, utcnow
from server.engine.errors import N_, NotFound
from server.engine.events import Actor
from server.engine.facts import OfficeFacts, TicketFacts, ticket_by_id
from server.engine.lifecycle import Action
from server.engine.numbering import display_number
from server.models import IS_WAITING, EventType, Service, Ticket


def cancel_waiting(
    session: Session,
    office: OfficeFacts,
    service_code: str,
    *,
    first: int | None = None,
    last: int | None = None,
    actor: Actor = events.SYSTEM,
    now: datetime | None = None,
) -> list[TicketFacts]:
    """Cancel today's waiting tickets of the service numbered ``first`` to ``last``
    (inclusive; None: no bound on that side); the cancelled tickets, in number order.

    Tickets already called, served or finished in the range are left as they are; so is
    one a clerk is calling at this very moment (its row is locked: it is being called).
    """
    now = now or utcnow()
    service = session.execute(
        select(Service.id, Service.letter).where(
            Service.office_id == office.id, Service.code == service_code
        )
    ).first()
    if service is None:
        raise NotFound(
            N_("office %(office)s has no service %(service)s"),
            office=office.code,
            service=service_code,
        )
    chosen = select(Ticket).where(
        IS_WAITING,
        Ticket.office_id == office.id,
        Ticket.service_id == service.id,
        Ticket.business_date == business_date(office.timezone, now),
    )
    if first is not None:
        chosen = chosen.where(Ticket.sequence >= first)
    if last is not None:
        chosen = chosen.where(Ticket.sequence <= last)
    tickets = session.scalars(
        chosen.order_by(Ticket.sequence).with_for_update(skip_locked=True)
    ).all()
    for ticket in tickets:
        lifecycle.apply(ticket, Action.CANCEL, now)
    session.flush()
    detail = _detail(service.letter, first, last, len(tickets))
    cancelled = []
    for ticket in tickets:
        facts = ticket_by_id(session, ticket.id)
        events.record(
            session,
            EventType.CANCELLED,
            office_id=office.id,
            at=now,
            actor=actor,
            ticket=facts,
            detail=detail,
        )
        cancelled.append(facts)
    return cancelled


def _detail(letter: str, first: int | None, last: int | None, count: int) -> str:
    """What the audit trail says of the whole cancel, on each of its events."""
    start = display_number(letter, first) if first is not None else "first"
    end = display_number(letter, last) if last is not None else "last"
    return f"bulk cancel {start}..{end}: {count} tickets"
