"""The ticket life cycle: every allowed transition works, every other one is refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from server import engine
from server.engine import TRANSITIONS, Action, IllegalTransition
from server.engine.lifecycle import target
from server.models import EventType, Ticket, TicketEvent, TicketStatus
from tests.conftest import FRESH, Office1
from tests.engine.helpers import CLERK_ACTIONS, act, call, issue

S = TicketStatus
#: A Saturday morning in Tehran, when the office is open.
T0 = datetime(2025, 5, 3, 6, 0, tzinfo=UTC)
ALL_PAIRS = [(status, action) for status in TicketStatus for action in Action]


@pytest.mark.parametrize(("status", "action"), ALL_PAIRS, ids=lambda v: v.value)
def test_the_table_allows_exactly_the_designed_transitions(status, action):
    designed = {
        (S.WAITING, Action.CALL), (S.WAITING, Action.CANCEL), (S.WAITING, Action.EXPIRE),
        (S.CALLED, Action.RECALL), (S.CALLED, Action.START), (S.CALLED, Action.COMPLETE),
        (S.CALLED, Action.NO_SHOW), (S.CALLED, Action.TRANSFER), (S.CALLED, Action.EXPIRE),
        (S.SERVING, Action.COMPLETE), (S.SERVING, Action.TRANSFER), (S.SERVING, Action.EXPIRE),
        (S.CALLED, Action.PARK), (S.SERVING, Action.PARK),
        (S.PARKED, Action.RESUME), (S.PARKED, Action.NO_SHOW), (S.PARKED, Action.EXPIRE),
        (S.NO_SHOW, Action.REINSTATE),
    }  # fmt: skip
    if (status, action) in designed:
        assert target(status, action) is TRANSITIONS[(status, action)]
    else:
        with pytest.raises(IllegalTransition):
            target(status, action)


def _ticket_in(session: Session, amol: Office1, status: TicketStatus):
    """A real ticket brought to ``status`` through the engine."""
    ticket = issue(session, amol.office, "insurance")
    if status is S.WAITING:
        return ticket
    call(session, amol.counters[0].id, amol.clerks[0])
    steps = {
        S.CALLED: [],
        S.SERVING: [Action.START],
        S.DONE: [Action.COMPLETE],
        S.NO_SHOW: [Action.NO_SHOW],
        S.PARKED: [Action.PARK],
        S.CANCELLED: None,
        S.TRANSFERRED: None,
        S.EXPIRED: None,
    }[status]
    if steps is None:
        return _finished_otherwise(session, amol, status)
    for step in steps:
        act(session, ticket, step)
    return engine.ticket_by_id(session, ticket.id)


def _finished_otherwise(session: Session, amol: Office1, status: TicketStatus):
    if status is S.CANCELLED:
        ticket = issue(session, amol.office, "post")
        return act(session, ticket, Action.CANCEL)
    if status is S.TRANSFERRED:
        called = session.scalar(select(Ticket.id).where(Ticket.status == S.CALLED))
        engine.transfer(session, called, "civil")
        session.commit()
        return engine.ticket_by_id(session, called)
    ticket = session.get(Ticket, issue(session, amol.office, "post").id)
    engine.lifecycle.apply(ticket, Action.EXPIRE, ticket.issued_at)
    session.commit()
    return engine.ticket_by_id(session, ticket.id)


@pytest.mark.parametrize("status", list(TicketStatus), ids=lambda v: v.value)
@pytest.mark.parametrize("action", CLERK_ACTIONS, ids=lambda v: v.value)
def test_clerk_actions_follow_the_table_on_real_tickets(session, amol, status, action):
    ticket = _ticket_in(session, amol, status)
    assert ticket.status is status
    if (status, action) in TRANSITIONS:
        changed = act(session, ticket, action)
        assert changed.status is TRANSITIONS[(status, action)]
    else:
        with pytest.raises(IllegalTransition):
            engine.act(session, ticket.id, action)
        session.rollback()
        assert engine.ticket_by_id(session, ticket.id).status is status


def test_every_transition_leaves_an_event_row_with_who_when_where(session, amol):
    ticket = issue(session, amol.office, "insurance")
    call(session, amol.counters[0].id, amol.clerks[0])
    act(session, ticket, Action.RECALL)
    act(session, ticket, Action.START)
    act(session, ticket, Action.COMPLETE)
    rows = session.scalars(
        select(TicketEvent).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.seq)
    ).all()
    assert [r.type for r in rows] == [
        EventType.ISSUED,
        EventType.CALLED,
        EventType.RECALLED,
        EventType.STARTED,
        EventType.DONE,
    ]
    called = rows[1]
    assert called.counter_id == amol.counters[0].id
    assert called.actor_id == amol.clerks[0]
    assert all(r.at is not None for r in rows)


def test_recall_counts_announcements_and_keeps_the_first_call_time(session, amol):
    ticket = issue(session, amol.office, "insurance")
    called = call(session, amol.counters[0].id)
    first_call = called.called_at
    act(session, ticket, Action.RECALL)
    again = act(session, ticket, Action.RECALL)
    assert again.recall_count == 2
    assert again.called_at == first_call


def test_completing_a_ticket_never_started_takes_the_call_as_its_start(session, amol):
    ticket = issue(session, amol.office, "insurance")
    call(session, amol.counters[0].id)
    done = act(session, ticket, Action.COMPLETE)
    assert done.started_at == done.called_at
    assert done.finished_at >= done.called_at


def test_a_parked_ticket_resumed_keeps_its_first_start(session, amol):
    ticket = issue(session, amol.office, "insurance")
    call(session, amol.counters[0].id)
    started = act(session, ticket, Action.START)
    parked = act(session, ticket, Action.PARK)
    assert (parked.status, parked.counter_id) == (S.PARKED, amol.counters[0].id)
    resumed = engine.resume(session, ticket.id)
    session.commit()
    assert (resumed.status, resumed.started_at) == (S.SERVING, started.started_at)


def test_a_ticket_parked_before_it_started_started_when_parked(session, amol):
    """Only a citizen at the counter is set aside, so the walk-up ends at the park."""
    ticket = issue(session, amol.office, "insurance")
    call(session, amol.counters[0].id)
    parked = act(session, ticket, Action.PARK)
    resumed = engine.resume(session, ticket.id)
    session.commit()
    assert resumed.started_at == parked.started_at
    assert parked.started_at >= parked.called_at


def test_the_time_parked_is_kept_apart_from_the_service(session, amol):
    ticket = engine.issue(session, amol.office, "insurance", settings=FRESH, now=T0).ticket
    engine.call_next(session, amol.counters[0].id, settings=FRESH, now=T0)
    engine.act(session, ticket.id, Action.START, now=T0 + timedelta(minutes=1))
    for parked, back in ((5, 20), (25, 26)):  # two trips: 15 minutes and 1 minute away
        engine.act(session, ticket.id, Action.PARK, now=T0 + timedelta(minutes=parked))
        row = session.get(Ticket, ticket.id)
        assert row.parked_at == T0 + timedelta(minutes=parked)
        engine.resume(session, ticket.id, now=T0 + timedelta(minutes=back))
    engine.act(session, ticket.id, Action.COMPLETE, now=T0 + timedelta(minutes=31))
    session.commit()
    row = session.get(Ticket, ticket.id)
    session.refresh(row)
    assert row.parked_at is None
    assert row.parked_us == 16 * 60 * 1_000_000
    assert row.service_us - row.parked_us == 14 * 60 * 1_000_000  # 30 minutes, 16 away
