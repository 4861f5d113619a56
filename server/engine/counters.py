"""Commands on counters: open, pause, close, and the clerk's one action, *call next*."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from server.engine import events, lifecycle, routing
from server.engine.clock import utcnow
from server.engine.day import ensure_closed
from server.engine.errors import N_, CounterBusy, DomainError, NotFound
from server.engine.events import Actor
from server.engine.facts import (
    TICKET_COLUMNS,
    CounterFacts,
    TicketFacts,
    counters,
    locked_counter,
    office_by_id,
    ticket_at_counter,
    ticket_by_id,
    tickets,
)
from server.engine.lifecycle import Action
from server.engine.prepared import Prepared
from server.engine.settings import EngineSettings
from server.models import IS_CURRENT, CounterState, EventType, TicketStatus

_CURRENT = select(tickets.c.id).where(tickets.c.counter_id == bindparam("counter"), IS_CURRENT)
_SET_STATE = (
    update(counters)
    .where(counters.c.id == bindparam("counter"))
    .values(state=bindparam("new_state"), clerk_id=bindparam("new_clerk"))
)
_SET_STREAK = (
    update(counters)
    .where(counters.c.id == bindparam("counter"))
    .values(priority_streak=bindparam("streak"))
)
# Served without pressing *start*: service is taken to begin at the call.
_FINISH_CURRENT = Prepared(
    update(tickets)
    .where(tickets.c.counter_id == bindparam("counter"), IS_CURRENT)
    .values(
        status=lifecycle.target(TicketStatus.SERVING, Action.COMPLETE),
        finished_at=bindparam("now"),
        started_at=func.coalesce(tickets.c.started_at, tickets.c.called_at),
    )
    .returning(*TICKET_COLUMNS)
)


def current_ticket(session: Session, counter_id: int) -> TicketFacts | None:
    """The ticket the counter has called or is serving, if any (there is at most one)."""
    ticket_id = session.execute(_CURRENT, {"counter": counter_id}).scalar()
    return ticket_by_id(session, ticket_id) if ticket_id is not None else None


def call_next(
    session: Session,
    counter_id: int,
    *,
    actor: Actor = events.SYSTEM,
    settings: EngineSettings | None = None,
    now: datetime | None = None,
) -> TicketFacts | None:
    """Finish the counter's current ticket as served, then call the best waiting one.

    Returns None when nothing waits for this counter. A closed or paused counter
    is opened for the calling clerk.
    """
    settings = settings or EngineSettings()
    now = now or utcnow()
    counter = _locked_counter(session, counter_id)
    _check_holder(counter, actor)
    if counter.state is not CounterState.OPEN:
        counter = _set_state(session, counter, CounterState.OPEN, actor, now)
    office = office_by_id(session, counter.office_id)
    # Finished before the claim: the partial unique index allows one current ticket.
    finished = _FINISH_CURRENT.first(session, {"counter": counter.id, "now": now})
    if finished is not None:
        events.record(
            session,
            EventType.DONE,
            office_id=counter.office_id,
            at=now,
            actor=actor,
            ticket=ticket_at_counter(session, finished, office, counter),
        )
    claimed = routing.claim_next(
        session,
        counter,
        day=ensure_closed(session, office, now),
        now=now,
        clerk_id=actor.user_id,
        routing=routing.policy(office.routing_policy),
        priority_bound=settings.priority_bound,
    )
    if claimed is None:
        return None
    ticket = ticket_at_counter(session, claimed, office, counter)
    streak = counter.priority_streak + 1 if ticket.priority else 0
    if streak != counter.priority_streak:
        session.execute(_SET_STREAK, {"counter": counter.id, "streak": streak})
    events.record(
        session, EventType.CALLED, office_id=counter.office_id, at=now, actor=actor, ticket=ticket
    )
    return ticket


def open_counter(
    session: Session, counter_id: int, *, actor: Actor = events.SYSTEM, now: datetime | None = None
) -> CounterFacts:
    """Open the counter for the acting clerk (taking it over from whoever held it)."""
    counter = _locked_counter(session, counter_id)
    if counter.state is CounterState.OPEN and counter.clerk_id == actor.user_id:
        return counter
    return _set_state(session, counter, CounterState.OPEN, actor, now or utcnow())


def pause_counter(
    session: Session, counter_id: int, *, actor: Actor = events.SYSTEM, now: datetime | None = None
) -> CounterFacts:
    """Stop calling new tickets; a citizen already at the counter is still served."""
    counter = _locked_counter(session, counter_id)
    _check_holder(counter, actor)
    if counter.state is CounterState.CLOSED:
        raise DomainError(N_("a closed counter cannot be paused; open it first"))
    if counter.state is CounterState.PAUSED:
        return counter
    return _set_state(session, counter, CounterState.PAUSED, actor, now or utcnow())


def close_counter(
    session: Session, counter_id: int, *, actor: Actor = events.SYSTEM, now: datetime | None = None
) -> CounterFacts:
    """Close the counter; its current ticket must be finished first (no-show is explicit)."""
    counter = _locked_counter(session, counter_id)
    _check_holder(counter, actor)
    current = current_ticket(session, counter.id)
    if current is not None:
        raise DomainError(
            N_(
                "ticket %(number)s is still %(status)s at this counter; "
                "complete, transfer or mark it no-show first"
            ),
            number=current.number,
            status=current.status,
        )
    if counter.state is CounterState.CLOSED:
        return counter
    return _set_state(session, counter, CounterState.CLOSED, actor, now or utcnow())


def _locked_counter(session: Session, counter_id: int) -> CounterFacts:
    counter = locked_counter(session, counter_id)
    if counter is None:
        raise NotFound(N_("no counter %(id)s"), id=counter_id)
    return counter


def _check_holder(counter: CounterFacts, actor: Actor) -> None:
    """A counter open for one clerk is not driven by another by accident."""
    held_by_other = (
        counter.state is not CounterState.CLOSED
        and counter.clerk_id is not None
        and actor.user_id is not None
        and counter.clerk_id != actor.user_id
    )
    if held_by_other:
        raise CounterBusy(
            N_("%(counter)s is open for another clerk; open it to take it over"),
            counter=counter.name,
        )


def _set_state(
    session: Session, counter: CounterFacts, state: CounterState, actor: Actor, now: datetime
) -> CounterFacts:
    """Change the state; an open counter belongs to whoever opened it, a closed one to nobody."""
    if state is CounterState.CLOSED:
        clerk_id = None
    elif state is CounterState.OPEN:
        clerk_id = actor.user_id
    else:
        clerk_id = counter.clerk_id
    session.execute(_SET_STATE, {"counter": counter.id, "new_state": state, "new_clerk": clerk_id})
    changed = CounterFacts(
        counter.id,
        counter.office_id,
        counter.number,
        counter.name,
        state,
        clerk_id,
        counter.priority_streak,
    )
    events.record(
        session,
        EventType.COUNTER,
        office_id=counter.office_id,
        at=now,
        actor=actor,
        counter=changed,
        detail=state.value,
    )
    return changed
