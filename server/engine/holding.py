"""Who may work at a counter: the clerk who opened it holds it until it closes.

Another clerk (or a manager) acts there only after an explicit takeover, which
the trail records: a counter is never driven, nor its citizen finished, by
someone who pressed a button on the wrong screen. Devices at the counter (a
caller keypad) act for its holder.

Locks are always taken counter first, then ticket, as *call next* takes them,
so that two commands never wait on each other's rows.
"""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from server.engine.errors import N_, CounterBusy, NotFound, TicketChanged
from server.engine.events import Actor
from server.engine.facts import CounterFacts, locked_counter, tickets
from server.models import CounterState, Ticket

_TICKET_COUNTER = select(tickets.c.counter_id).where(tickets.c.id == bindparam("id"))


def held_by_other(counter: CounterFacts, actor: Actor) -> bool:
    """Whether ``counter`` is open or paused for a clerk other than ``actor``.

    The system (no user: the day's close, the command line) is nobody's colleague.
    """
    return (
        counter.state is not CounterState.CLOSED
        and counter.clerk_id is not None
        and actor.user_id is not None
        and counter.clerk_id != actor.user_id
    )


def check_holder(counter: CounterFacts, actor: Actor) -> None:
    """Refuse ``actor`` at a counter another clerk holds."""
    if held_by_other(counter, actor):
        raise CounterBusy(
            N_("%(counter)s is held by %(clerk)s; take it over to work there"),
            counter=counter.name,
            clerk=counter.clerk or "",
        )


def held_counter(session: Session, counter_id: int, actor: Actor) -> CounterFacts:
    """The counter, locked until commit, once ``actor`` may work there."""
    counter = locked_counter(session, counter_id)
    if counter is None:
        raise NotFound(N_("no counter %(id)s"), id=counter_id)
    check_holder(counter, actor)
    return counter


def locked_ticket(session: Session, ticket_id: int) -> Ticket:
    """The ticket as an ORM object, its row locked until commit."""
    ticket = session.get(Ticket, ticket_id, with_for_update=True, populate_existing=True)
    if ticket is None:
        raise NotFound(N_("no ticket %(id)s"), id=ticket_id)
    return ticket


def held_ticket(
    session: Session, ticket_id: int, actor: Actor
) -> tuple[Ticket, CounterFacts | None]:
    """The ticket and its counter, both locked, once ``actor`` may work at that counter.

    A waiting ticket has no counter yet: anyone of the office may act on it (cancel).
    """
    counter_id = session.execute(_TICKET_COUNTER, {"id": ticket_id}).scalar()
    counter = held_counter(session, counter_id, actor) if counter_id is not None else None
    ticket = locked_ticket(session, ticket_id)
    if ticket.counter_id != counter_id:
        # Called at a counter between the two reads: whatever the caller meant to do was
        # meant for the ticket as it was. (Locking that counter now would take the locks
        # in the wrong order.)
        raise TicketChanged(
            N_("ticket %(number)s was just called at another counter"), number=ticket.number
        )
    return ticket, counter
