"""Commands on counters: open, take over, pause, close, and putting a citizen at the counter:
*call next* (the clerk's one action), a call by number, and resuming a parked ticket.

A counter holds at most one current ticket. Whatever puts a new citizen at the
counter by a call first finishes the current one as served (DESIGN); a caller
that says which ticket it believes is current (``expect``) is refused instead
when the counter has moved on, so a double press, a second window or a keypad
never finishes a citizen nobody looked at.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from server.engine import events, lifecycle, numbering, routing
from server.engine.clock import utcnow
from server.engine.day import ensure_closed
from server.engine.errors import (
    N_,
    DomainError,
    IdempotencyKeyReused,
    IllegalTransition,
    NotFound,
    TicketChanged,
)
from server.engine.events import Actor
from server.engine.facts import (
    TICKET_COLUMNS,
    CounterFacts,
    TicketFacts,
    counters,
    office_by_id,
    service_names,
    ticket_at_counter,
    ticket_by_id,
    ticket_view,
    tickets,
    users,
)
from server.engine.holding import held_by_other, held_counter, held_ticket, locked_ticket
from server.engine.lifecycle import Action
from server.engine.settings import EngineSettings
from server.engine.sql.prepared import Prepared
from server.models import (
    IS_CURRENT,
    IS_PARKED,
    PAUSE_REASONS,
    CounterService,
    CounterState,
    EventType,
    TicketStatus,
)

_CURRENT = select(tickets.c.id).where(tickets.c.counter_id == bindparam("counter"), IS_CURRENT)
_PARKED_COUNT = (
    select(func.count())
    .select_from(tickets)
    .where(tickets.c.counter_id == bindparam("counter"), IS_PARKED)
)
_BY_CALL_KEY = ticket_view().where(
    tickets.c.counter_id == bindparam("counter"), tickets.c.call_key == bindparam("key")
)
_SERVES = select(CounterService.tier).where(
    CounterService.counter_id == bindparam("counter"),
    CounterService.service_id == bindparam("service"),
)
_USERNAME = select(users.c.username).where(users.c.id == bindparam("id"))
_SET_STATE = (
    update(counters)
    .where(counters.c.id == bindparam("counter"))
    .values(
        state=bindparam("new_state"),
        clerk_id=bindparam("new_clerk"),
        pause_reason=bindparam("new_reason"),
    )
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


class _Unchecked:
    """The caller does not say which ticket it believes is current."""

    def __repr__(self) -> str:
        return "UNCHECKED"


UNCHECKED: Final = _Unchecked()
Expected = int | None | _Unchecked


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
    request_key: str | None = None,
    expect: Expected = UNCHECKED,
) -> TicketFacts | None:
    """Finish the counter's current ticket as served, then call the best waiting one.

    Returns None when nothing waits for this counter. A closed or paused counter
    is opened for the calling clerk. With a ``request_key``, a retry of a call
    whose answer was lost gets the ticket that call took, not the next one.
    """
    settings = settings or EngineSettings()
    now = now or utcnow()
    counter = held_counter(session, counter_id, actor)
    if request_key is not None:
        earlier = session.execute(_BY_CALL_KEY, {"counter": counter.id, "key": request_key})
        row = earlier.first()
        if row is not None:
            replayed = TicketFacts(*row)
            if replayed.clerk_id != actor.user_id:
                raise IdempotencyKeyReused(
                    N_("this Idempotency-Key was sent with another request; use a new key")
                )
            return replayed
    counter = _opened(session, counter, actor, now)
    _finish_current(session, counter, actor, now, expect)
    office = office_by_id(session, counter.office_id)
    claimed = routing.claim_next(
        session,
        counter,
        day=ensure_closed(session, office, now),
        now=now,
        clerk_id=actor.user_id,
        routing=routing.policy(office.routing_policy),
        priority_bound=settings.priority_bound,
        call_key=request_key,
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


def call_number(
    session: Session,
    counter_id: int,
    number: str,
    *,
    actor: Actor = events.SYSTEM,
    now: datetime | None = None,
    expect: Expected = UNCHECKED,
) -> TicketFacts:
    """Call one of today's tickets by its number, out of turn, at this counter.

    For a citizen who comes to the counter before their turn is called, or a
    no-show who turns up after all (reinstated: called again, behind no one). The
    trail records either as such. The current ticket is finished first, as by *next*.
    """
    now = now or utcnow()
    counter = held_counter(session, counter_id, actor)
    office = office_by_id(session, counter.office_id)
    ticket_id = numbering.find(session, office.id, ensure_closed(session, office, now), number)
    if ticket_id is None:
        raise NotFound(N_("there is no ticket %(number)s today"), number=number.strip())
    ticket = locked_ticket(session, ticket_id)
    serves = session.execute(_SERVES, {"counter": counter.id, "service": ticket.service_id})
    if serves.first() is None:
        raise DomainError(
            N_("%(counter)s does not serve %(service)s"),
            counter=counter.name,
            service=service_names(session, ticket.service_id),
        )
    action = Action.REINSTATE if ticket.status is TicketStatus.NO_SHOW else Action.CALL
    if (ticket.status, action) not in lifecycle.TRANSITIONS:
        raise _not_callable(session, ticket.number, ticket.status, ticket.counter_id)
    counter = _opened(session, counter, actor, now)
    _finish_current(session, counter, actor, now, expect)
    lifecycle.apply(ticket, action, now)
    ticket.counter_id, ticket.clerk_id = counter.id, actor.user_id
    session.flush()
    called = ticket_by_id(session, ticket.id)
    reinstated = action is Action.REINSTATE
    events.record(
        session,
        EventType.REINSTATED if reinstated else EventType.CALLED,
        office_id=office.id,
        at=now,
        actor=actor,
        ticket=called,
        detail="after no-show" if reinstated else "out of turn",
    )
    return called


def resume(
    session: Session, ticket_id: int, *, actor: Actor = events.SYSTEM, now: datetime | None = None
) -> TicketFacts:
    """Serve a parked ticket again at its counter: the citizen is back with the document."""
    now = now or utcnow()
    ticket, counter = held_ticket(session, ticket_id, actor)
    lifecycle.target(ticket.status, Action.RESUME)
    if counter is None:  # a parked ticket stays at its counter
        raise LookupError(f"parked ticket {ticket.id} has no counter")
    current = current_ticket(session, counter.id)
    if current is not None:
        raise DomainError(
            N_("finish ticket %(number)s at this counter first"), number=current.number
        )
    _opened(session, counter, actor, now)
    lifecycle.apply(ticket, Action.RESUME, now)
    session.flush()
    resumed = ticket_by_id(session, ticket.id)
    events.record(
        session, EventType.RESUMED, office_id=ticket.office_id, at=now, actor=actor, ticket=resumed
    )
    return resumed


def open_counter(
    session: Session, counter_id: int, *, actor: Actor = events.SYSTEM, now: datetime | None = None
) -> CounterFacts:
    """Open the counter for the acting clerk (or resume it after a pause)."""
    counter = held_counter(session, counter_id, actor)
    return _opened(session, counter, actor, now or utcnow())


def take_over(
    session: Session, counter_id: int, *, actor: Actor = events.SYSTEM, now: datetime | None = None
) -> CounterFacts:
    """Hold the counter from now on, whoever held it (logged with who that was)."""
    now = now or utcnow()
    held = held_counter(session, counter_id, events.SYSTEM)
    if not held_by_other(held, actor):
        return _opened(session, held, actor, now)
    return _set_state(
        session, held, CounterState.OPEN, actor, now, detail=f"open:takeover:{held.clerk_id}"
    )


def pause_counter(
    session: Session,
    counter_id: int,
    *,
    actor: Actor = events.SYSTEM,
    reason: str = "break",
    now: datetime | None = None,
) -> CounterFacts:
    """Stop calling new tickets for a while (and why); a citizen at the counter is still served."""
    if reason not in PAUSE_REASONS:
        raise ValueError(f"unknown pause reason {reason!r}")
    counter = held_counter(session, counter_id, actor)
    if counter.state is CounterState.CLOSED:
        raise DomainError(N_("a closed counter cannot be paused; open it first"))
    if counter.state is CounterState.PAUSED and counter.pause_reason == reason:
        return counter
    return _set_state(session, counter, CounterState.PAUSED, actor, now or utcnow(), reason)


def close_counter(
    session: Session, counter_id: int, *, actor: Actor = events.SYSTEM, now: datetime | None = None
) -> CounterFacts:
    """Close the counter; its citizens must be finished first (no-show is explicit)."""
    counter = held_counter(session, counter_id, actor)
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
    parked = session.execute(_PARKED_COUNT, {"counter": counter.id}).scalar_one()
    if parked:
        raise DomainError(
            N_("%(count)s parked tickets wait at this counter; resume them or mark them no-show"),
            count=parked,
        )
    if counter.state is CounterState.CLOSED:
        return counter
    return _set_state(session, counter, CounterState.CLOSED, actor, now or utcnow())


def _opened(session: Session, counter: CounterFacts, actor: Actor, now: datetime) -> CounterFacts:
    """The counter open for ``actor`` (who may work there), opening it if needed."""
    if counter.state is CounterState.OPEN and counter.clerk_id == actor.user_id:
        return counter
    return _set_state(session, counter, CounterState.OPEN, actor, now)


def _finish_current(
    session: Session, counter: CounterFacts, actor: Actor, now: datetime, expect: Expected
) -> None:
    """Finish the current ticket as served, unless the caller expected another one there.

    Finished before any new call: the partial unique index allows one current ticket.
    On a refusal the caller's transaction is rolled back, this update with it.
    """
    finished = _FINISH_CURRENT.first(session, {"counter": counter.id, "now": now})
    if not isinstance(expect, _Unchecked) and (finished.id if finished else None) != expect:
        if finished is not None:
            raise TicketChanged(
                N_("ticket %(number)s is at this counter now; look at it before calling"),
                number=finished.number,
            )
        raise TicketChanged(N_("this counter's ticket was finished meanwhile"))
    if finished is not None:
        office = office_by_id(session, counter.office_id)
        events.record(
            session,
            EventType.DONE,
            office_id=counter.office_id,
            at=now,
            actor=actor,
            ticket=ticket_at_counter(session, finished, office, counter),
        )


def _not_callable(
    session: Session, number: str, status: TicketStatus, counter_id: int | None
) -> DomainError:
    """Why a ticket cannot be called by its number, in the clerk's words."""
    if status in (TicketStatus.CALLED, TicketStatus.SERVING, TicketStatus.PARKED):
        name = session.scalar(select(counters.c.name).where(counters.c.id == counter_id))
        template = (
            N_("ticket %(number)s is parked at %(counter)s")
            if status is TicketStatus.PARKED
            else N_("ticket %(number)s was already called by %(counter)s")
        )
        return TicketChanged(template, number=number, counter=name or "")
    if status is TicketStatus.DONE:
        return IllegalTransition(N_("ticket %(number)s was already served"), number=number)
    return IllegalTransition(N_("ticket %(number)s is %(status)s"), number=number, status=status)


def _set_state(
    session: Session,
    counter: CounterFacts,
    state: CounterState,
    actor: Actor,
    now: datetime,
    reason: str | None = None,
    detail: str | None = None,
) -> CounterFacts:
    """Change the state; an open counter belongs to whoever opened it, a closed one to nobody."""
    clerk_id, clerk = counter.clerk_id, counter.clerk
    if state is CounterState.CLOSED:
        clerk_id, clerk = None, None
    elif state is CounterState.OPEN and clerk_id != actor.user_id:
        clerk_id = actor.user_id
        clerk = session.scalar(_USERNAME, {"id": clerk_id}) if clerk_id is not None else None
    session.execute(
        _SET_STATE,
        {"counter": counter.id, "new_state": state, "new_clerk": clerk_id, "new_reason": reason},
    )
    changed = CounterFacts(
        counter.id,
        counter.office_id,
        counter.number,
        counter.name,
        counter.name_en,
        state,
        clerk_id,
        counter.priority_streak,
        reason,
        clerk,
    )
    events.record(
        session,
        EventType.COUNTER,
        office_id=counter.office_id,
        at=now,
        actor=actor,
        counter=changed,
        detail=detail or (f"{state.value}:{reason}" if reason else state.value),
    )
    return changed
