"""Wait estimates: position, people ahead, and an honest range."""

from __future__ import annotations

from datetime import timedelta

from server import engine
from server.engine import Action, Actor, EngineSettings
from server.engine.estimates import estimate, service_time
from tests.conftest import FRESH
from tests.engine.helpers import act, call, issue


def _issued(session, office, service, priority=False):
    result = engine.issue(session, office, service, priority=priority, settings=FRESH)
    session.commit()
    return result


def test_the_first_ticket_waits_for_nobody(session, amol):
    issued = _issued(session, amol.office, "post")
    assert issued.ahead == 0
    assert issued.estimate.seconds == 0


def test_each_ticket_counts_the_people_before_it_in_its_service(session, amol):
    aheads = [_issued(session, amol.office, "post").ahead for _ in range(4)]
    assert aheads == [0, 1, 2, 3]
    assert _issued(session, amol.office, "civil").ahead == 0


def test_a_priority_ticket_is_ahead_of_ordinary_ones(session, amol):
    for _ in range(3):
        _issued(session, amol.office, "post")
    assert _issued(session, amol.office, "post", priority=True).ahead == 0
    assert _issued(session, amol.office, "post").ahead == 4


def test_with_no_history_the_default_service_time_is_used(session, amol):
    settings = EngineSettings(default_service_seconds=240, estimate_cache_seconds=0)
    for _ in range(2):
        engine.issue(session, amol.office, "post", settings=settings)
    third = engine.issue(session, amol.office, "post", settings=settings)
    # Counter 3 is the only counter serving post (tier 1): two people at 240 s each.
    assert third.estimate.seconds == 480
    assert third.estimate.low < 480 < third.estimate.high


def test_more_open_counters_shorten_the_wait(session, amol):
    # insurance: counter 1 at tier 1, counter 3 at tier 2.
    for _ in range(6):
        _issued(session, amol.office, "insurance")
    engine.open_counter(session, amol.counters[0].id, actor=Actor(user_id=amol.clerks[0]))
    session.commit()
    one_counter = estimate(session, amol.office.services[0].id, 6, FRESH)
    engine.open_counter(session, amol.counters[2].id, actor=Actor(user_id=amol.clerks[2]))
    session.commit()
    two_counters = estimate(session, amol.office.services[0].id, 6, FRESH)
    assert two_counters.seconds < one_counter.seconds


def test_recent_service_times_replace_the_default(session, amol):
    import time_machine

    from server.engine.clock import utcnow

    start = utcnow()
    for minute in range(4):
        with time_machine.travel(start + timedelta(minutes=10 * minute), tick=False):
            ticket = issue(session, amol.office, "post")
            call(session, amol.counters[2].id)
            act(session, ticket, Action.START)
        with time_machine.travel(start + timedelta(minutes=10 * minute + 2), tick=False):
            act(session, ticket, Action.COMPLETE)
    timing = service_time(session, amol.office.services[2].id, FRESH)
    assert round(timing.mean) == 120
    assert timing.samples == 4


def test_a_service_no_counter_serves_has_no_estimate(session):
    from tests import builders

    office = builders.office(session, services=[("lonely", "L")])
    session.commit()
    assert engine.issue(session, office, "lonely").estimate is None
