"""Events leave the engine only after commit, numbered without gaps per office."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from harness import builders
from server import engine
from server.engine import Actor, CounterFacts, events
from server.engine.clock import utcnow
from server.engine.events import SYSTEM
from server.models import CounterState, EventType, TicketEvent
from tests.engine.helpers import call, issue


def test_events_are_published_after_commit_with_consecutive_sequence_numbers(
    session, amol, published
):
    issue(session, amol.office, "insurance")
    call(session, amol.counters[0].id)
    assert [(e.type, e.seq) for e in published.events] == [
        ("issued", 1),
        ("counter", 2),
        ("called", 3),
    ]
    assert published.events[2].ticket["number"] == "A-001"
    assert published.events[1].counter["state"] == "open"


def test_a_rolled_back_action_publishes_nothing_and_uses_no_number(session, amol, published):
    engine.issue(session, amol.office, "insurance")
    session.rollback()
    assert published.events == []
    issue(session, amol.office, "insurance")
    assert [(e.type, e.seq, e.ticket["number"]) for e in published.events] == [
        ("issued", 1, "A-001")
    ]


def test_each_office_numbers_its_own_events(session, amol, published):
    other = builders.office(session, "babol")
    session.commit()
    issue(session, amol.office, "civil")
    issue(session, other, "civil")
    issue(session, amol.office, "civil")
    by_office = [(e.office_id, e.seq) for e in published.events]
    assert by_office == [(amol.office.id, 1), (other.id, 1), (amol.office.id, 2)]


def test_one_commit_numbers_each_offices_events_and_writes_what_it_publishes(
    session, amol, published
):
    other = builders.office(session, "babol")
    session.commit()
    clerk = Actor(user_id=amol.clerks[0])
    engine.issue(session, other, "civil", actor=clerk)
    engine.issue(session, amol.office, "civil", actor=clerk)
    engine.issue(session, other, "post", priority=True, priority_reason="elderly", actor=clerk)
    session.commit()
    assert sorted((e.office_id, e.seq, e.type) for e in published.events) == [
        (amol.office.id, 1, "issued"),
        (other.id, 1, "issued"),
        (other.id, 2, "issued"),
    ]
    written = session.execute(
        select(
            TicketEvent.office_id,
            TicketEvent.seq,
            TicketEvent.type,
            TicketEvent.at,
            TicketEvent.ticket_id,
            TicketEvent.actor_id,
        ).order_by(TicketEvent.office_id, TicketEvent.seq)
    ).all()
    assert written == [
        (e.office_id, e.seq, e.type, e.at, e.ticket["id"], clerk.user_id)
        for e in sorted(published.events, key=lambda e: (e.office_id, e.seq))
    ]


def test_a_commit_that_fails_while_sealing_keeps_nothing_and_publishes_nothing(
    session, amol, published
):
    lost = engine.issue(session, amol.office, "civil").ticket
    nowhere = CounterFacts(
        10**6, amol.office.id, 99, "nowhere", "Nowhere", CounterState.OPEN, None, 0
    )
    events.record(
        session,
        EventType.COUNTER,
        office_id=amol.office.id,
        at=utcnow(),
        actor=SYSTEM,
        counter=nowhere,
    )
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()
    assert published.events == []
    assert engine.ticket_by_id(session, lost.id) is None
    issue(session, amol.office, "civil")
    assert [(e.seq, e.ticket["number"]) for e in published.events] == [(1, "B-001")]
