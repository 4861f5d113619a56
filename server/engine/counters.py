"""Commands on counters: open, pause, close, and the clerk's one action, *call next*."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.engine import events, lifecycle, routing
from server.engine.clock import utcnow
from server.engine.day import ensure_closed
from server.engine.errors import N_, CounterBusy, DomainError, NotFound
from server.engine.events import Actor
from server.engine.lifecycle import Action
from server.engine.settings import EngineSettings
from server.models import IS_CURRENT, Counter, CounterState, EventType, Ticket


def current_ticket(session: Session, counter: Counter) -> Ticket | None:
    """The ticket the counter has called or is serving, if any (there is at most one)."""
    return session.scalar(select(Ticket).where(Ticket.counter_id == counter.id, IS_CURRENT))


def call_next(
    session: Session,
    counter_id: int,
    *,
    actor: Actor = events.SYSTEM,
    settings: EngineSettings | None = None,
    now: datetime | None = None,
) -> Ticket | None:
    """Finish the counter's current ticket as served, then call the best waiting one.

    Returns None when nothing waits for this counter. A closed or paused counter
    is opened for the calling clerk.
    """
    settings = settings or EngineSettings()
    now = now or utcnow()
    counter = _locked_counter(session, counter_id)
    _check_holder(counter, actor)
    if counter.state is not CounterState.OPEN:
        _set_state(session, counter, CounterState.OPEN, actor, now)
    current = current_ticket(session, counter)
    if current is not None:
        lifecycle.apply(current, Action.COMPLETE, now)
        events.record(
            session,
            EventType.DONE,
            office_id=counter.office_id,
            at=now,
            actor=actor,
            ticket=current,
        )
        # The partial unique index allows one current ticket: release it before claiming.
        session.flush()
    office = counter.office
    day = ensure_closed(session, office, now)
    ticket = routing.claim_next(
        session,
        counter,
        day=day,
        now=now,
        clerk_id=actor.user_id,
        routing=routing.policy(office.routing_policy),
        priority_bound=settings.priority_bound,
    )
    if ticket is not None:
        events.record(
            session,
            EventType.CALLED,
            office_id=counter.office_id,
            at=now,
            actor=actor,
            ticket=ticket,
        )
    return ticket


def open_counter(
    session: Session, counter_id: int, *, actor: Actor = events.SYSTEM, now: datetime | None = None
) -> Counter:
    """Open the counter for the acting clerk (taking it over from whoever held it)."""
    counter = _locked_counter(session, counter_id)
    counter.clerk_id = actor.user_id
    if counter.state is not CounterState.OPEN:
        _set_state(session, counter, CounterState.OPEN, actor, now or utcnow())
    return counter


def pause_counter(
    session: Session, counter_id: int, *, actor: Actor = events.SYSTEM, now: datetime | None = None
) -> Counter:
    """Stop calling new tickets; a citizen already at the counter is still served."""
    counter = _locked_counter(session, counter_id)
    _check_holder(counter, actor)
    if counter.state is CounterState.CLOSED:
        raise DomainError(N_("a closed counter cannot be paused; open it first"))
    if counter.state is not CounterState.PAUSED:
        _set_state(session, counter, CounterState.PAUSED, actor, now or utcnow())
    return counter


def close_counter(
    session: Session, counter_id: int, *, actor: Actor = events.SYSTEM, now: datetime | None = None
) -> Counter:
    """Close the counter; its current ticket must be finished first (no-show is explicit)."""
    counter = _locked_counter(session, counter_id)
    _check_holder(counter, actor)
    current = current_ticket(session, counter)
    if current is not None:
        raise DomainError(
            N_(
                "ticket %(number)s is still %(status)s at this counter; "
                "complete, transfer or mark it no-show first"
            ),
            number=current.number,
            status=current.status.value,
        )
    if counter.state is not CounterState.CLOSED:
        _set_state(session, counter, CounterState.CLOSED, actor, now or utcnow())
    counter.clerk_id = None
    return counter


def _locked_counter(session: Session, counter_id: int) -> Counter:
    counter = session.get(Counter, counter_id, with_for_update=True, populate_existing=True)
    if counter is None:
        raise NotFound(N_("no counter %(id)s"), id=counter_id)
    return counter


def _check_holder(counter: Counter, actor: Actor) -> None:
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
    session: Session, counter: Counter, state: CounterState, actor: Actor, now: datetime
) -> None:
    counter.state = state
    if state is CounterState.OPEN and actor.user_id is not None:
        counter.clerk_id = actor.user_id
    events.record(
        session,
        EventType.COUNTER,
        office_id=counter.office_id,
        at=now,
        actor=actor,
        counter=counter,
        detail=state.value,
    )
