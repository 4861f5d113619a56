"""Counters: open, pause, close, and who may drive them."""

from __future__ import annotations

import pytest

from server import engine
from server.engine import Actor, CounterBusy, DomainError
from server.models import CounterState
from tests.engine.helpers import call, issue


def test_call_next_opens_a_closed_counter_for_the_calling_clerk(session, amol):
    counter = amol.counters[0]
    assert counter.state is CounterState.CLOSED
    call(session, counter.id, clerk=amol.clerks[0])
    session.refresh(counter)
    assert (counter.state, counter.clerk_id) == (CounterState.OPEN, amol.clerks[0])


def test_a_counter_open_for_one_clerk_refuses_another_until_taken_over(session, amol):
    counter = amol.counters[0]
    other = Actor(user_id=amol.clerks[1])
    call(session, counter.id, clerk=amol.clerks[0])
    for command in (engine.call_next, engine.open_counter, engine.pause_counter):
        with pytest.raises(CounterBusy, match="held by clerk1; take it over"):
            command(session, counter.id, actor=other)
        session.rollback()
    taken = engine.take_over(session, counter.id, actor=other)
    session.commit()
    assert (taken.state, taken.clerk_id, taken.clerk) == (
        CounterState.OPEN,
        other.user_id,
        "clerk2",
    )
    call(session, counter.id, clerk=amol.clerks[1])
    with pytest.raises(CounterBusy):
        engine.call_next(session, counter.id, actor=Actor(user_id=amol.clerks[0]))


def test_a_paused_counter_keeps_its_citizen_and_resumes_on_next(session, amol):
    counter = amol.counters[0]
    clerk = Actor(user_id=amol.clerks[0])
    issue(session, amol.office, "insurance")
    issue(session, amol.office, "insurance")
    current = call(session, counter.id, clerk=amol.clerks[0])
    engine.pause_counter(session, counter.id, actor=clerk)
    session.commit()
    assert engine.current_ticket(session, counter.id).id == current.id
    call(session, counter.id, clerk=amol.clerks[0])
    session.refresh(counter)
    assert counter.state is CounterState.OPEN


def test_a_counter_with_a_citizen_at_it_cannot_close(session, amol):
    counter = amol.counters[0]
    issue(session, amol.office, "insurance")
    call(session, counter.id, clerk=amol.clerks[0])
    with pytest.raises(DomainError, match="still called"):
        engine.close_counter(session, counter.id, actor=Actor(user_id=amol.clerks[0]))


def test_a_closed_counter_cannot_be_paused(session, amol):
    with pytest.raises(DomainError):
        engine.pause_counter(session, amol.counters[0].id)


def test_closing_releases_the_counter_from_its_clerk(session, amol):
    counter = amol.counters[0]
    call(session, counter.id, clerk=amol.clerks[0])
    engine.close_counter(session, counter.id, actor=Actor(user_id=amol.clerks[0]))
    session.commit()
    session.refresh(counter)
    assert (counter.state, counter.clerk_id) == (CounterState.CLOSED, None)
