"""Events leave the engine only after commit, numbered without gaps per office."""

from __future__ import annotations

from server import engine
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
    from tests import builders

    other = builders.office(session, "babol")
    session.commit()
    issue(session, amol.office, "civil")
    issue(session, other, "civil")
    issue(session, amol.office, "civil")
    by_office = [(e.office_id, e.seq) for e in published.events]
    assert by_office == [(amol.office.id, 1), (other.id, 1), (amol.office.id, 2)]
