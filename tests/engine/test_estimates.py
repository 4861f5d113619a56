"""Wait estimates: who is ahead of a ticket at the counters that will serve it, and for how long."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from harness import builders
from server import engine
from server.engine import Action, Actor, EngineSettings, snapshot
from server.engine.estimates import SKIP_SECONDS, service_time
from server.engine.facts import ticket_by_id
from tests.conftest import FRESH
from tests.engine.helpers import call

DEFAULT = FRESH.default_service_seconds
# Late morning in Tehran: a test's few simulated hours stay within one business day.
MORNING = datetime(2025, 3, 10, 6, 0, tzinfo=UTC)


def _issued(session, office, service, priority=False, now=None):
    result = engine.issue(session, office, service, priority=priority, settings=FRESH, now=now)
    session.commit()
    return result


def _stands(session, ticket):
    """Where a ticket issued earlier stands now."""
    return engine.where_it_stands(session, ticket_by_id(session, ticket.id), FRESH)


def _open(session, counter, clerk=None):
    engine.open_counter(session, counter.id, actor=Actor(user_id=clerk))
    session.commit()


def _office(session, counters, services=("x", "y", "z"), policy="tiered"):
    """An office with services x, y, z… and counters given as {service: tier}, all closed."""
    office = builders.office(session, services=[(code, code[0].upper()) for code in services])
    office.routing_policy = policy
    made = [builders.counter(session, office, n, tiers) for n, tiers in enumerate(counters, 1)]
    session.commit()
    return office, made


# --- people ahead ---------------------------------------------------------------------------


def test_the_first_ticket_waits_for_nobody(session, amol):
    _open(session, amol.counters[2], amol.clerks[2])  # post's counter
    issued = _issued(session, amol.office, "post")
    assert issued.ahead == 0
    # Called at once, or once the citizen at the counter is done: 1.25 service times at most.
    assert (issued.estimate.seconds, issued.estimate.low, issued.estimate.high) == (
        0,
        0,
        1.25 * DEFAULT,
    )


def test_each_ticket_counts_the_people_before_it_in_its_service(session, amol):
    aheads = [_issued(session, amol.office, "post").ahead for _ in range(4)]
    assert aheads == [0, 1, 2, 3]
    assert _issued(session, amol.office, "civil").ahead == 0


def test_a_priority_ticket_is_ahead_of_ordinary_ones(session, amol):
    for _ in range(3):
        _issued(session, amol.office, "post")
    assert _issued(session, amol.office, "post", priority=True).ahead == 0
    assert _issued(session, amol.office, "post").ahead == 4


def test_earlier_tickets_of_another_service_at_a_shared_counter_are_ahead(session):
    # The kiosk said "You are next" to the first birth certificate behind five ID cards.
    office, (counter,) = _office(
        session, [{"id-card": 1, "birth": 1}], services=("id-card", "birth")
    )
    _open(session, counter)
    for _ in range(5):
        _issued(session, office, "id-card")
    birth = _issued(session, office, "birth")
    assert birth.ahead == 5
    assert birth.estimate.seconds == 5 * DEFAULT
    assert birth.estimate.low < 5 * DEFAULT < birth.estimate.high
    called = [call(session, counter.id).id for _ in range(6)]
    assert called[-1] == birth.ticket.id


def test_a_service_at_a_lower_tier_waits_for_all_of_that_counters_higher_tier_queue(session, amol):
    # Counter 1: insurance at tier 1, civil at tier 2; only it is open.
    _open(session, amol.counters[0], amol.clerks[0])
    civil = _issued(session, amol.office, "civil")
    assert civil.ahead == 0
    later = [_issued(session, amol.office, "insurance").ticket.id for _ in range(3)]
    now = _stands(session, civil.ticket)
    assert now.ahead == 3
    assert now.estimate.seconds == 3 * DEFAULT
    assert [call(session, amol.counters[0].id).id for _ in range(4)] == [*later, civil.ticket.id]


def test_a_priority_ticket_of_another_service_at_the_same_tier_is_ahead(session):
    office, (counter,) = _office(session, [{"x": 1, "y": 1}])
    y1 = _issued(session, office, "y")
    x1 = _issued(session, office, "x", priority=True)
    assert x1.ahead == 0
    assert _issued(session, office, "y").ahead == 2
    y3 = _issued(session, office, "y", priority=True)
    assert y3.ahead == 1  # behind the earlier priority ticket of x only
    assert _stands(session, y1.ticket).ahead == 2  # both priority tickets go first
    order = [call(session, counter.id).id for _ in range(4)]
    assert order[:3] == [x1.ticket.id, y3.ticket.id, y1.ticket.id]


def test_an_office_without_priority_counts_every_earlier_ticket(session):
    office, _ = _office(session, [{"x": 1, "y": 1}], policy="fifo")
    _issued(session, office, "x")
    _issued(session, office, "y")
    assert _issued(session, office, "y", priority=True).ahead == 2


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
@pytest.mark.parametrize("policy", ["tiered", "fifo"])
def test_people_ahead_are_the_tickets_some_serving_counter_calls_first(session, seed, policy):
    """Against a plain sort per counter, over random queues, tiers and open counters."""
    rng = random.Random(seed)
    codes = ("a", "b", "c", "d")
    links = [{"a": 1, "b": 2}, {"b": 1, "c": 1, "a": 3}, {"c": 2, "a": 2, "d": 1}]
    office, counters = _office(session, links, services=codes, policy=policy)
    opened = [i for i in range(len(counters)) if rng.random() < 0.6]
    for i in opened:
        _open(session, counters[i])
    waiting = {}  # id → (service, priority); ids grow with queue time
    for _ in range(40):
        code, priority = rng.choice(codes), rng.random() < 0.3
        ticket = _issued(session, office, code, priority=priority).ticket
        waiting[ticket.id] = (code, priority)
    for i in opened:  # some tickets leave the queue
        for _ in range(rng.randint(0, 3)):
            called = call(session, counters[i].id)
            if called:
                waiting.pop(called.id)

    def key(tiers, ticket_id):
        code, priority = waiting[ticket_id]
        return (tiers[code], 0 if policy == "fifo" else not priority, ticket_id)

    for ticket_id, (code, _priority) in waiting.items():
        serving = [links[i] for i in opened if code in links[i]]
        serving = serving or [tiers for tiers in links if code in tiers]
        expected = {
            other
            for tiers in serving
            for other in waiting
            if waiting[other][0] in tiers and key(tiers, other) < key(tiers, ticket_id)
        }
        stands = engine.where_it_stands(session, ticket_by_id(session, ticket_id), FRESH)
        assert stands.ahead == len(expected), (ticket_id, code)


# The plan is checked on SQLite: PostgreSQL plans by its statistics of the moment.
@pytest.mark.parametrize("reusable_engine", ["sqlite"], indirect=True)
def test_people_ahead_are_counted_in_the_waiting_index(session):
    """Tickets are reached only by (service, day) in ``ix_tickets_waiting``: the cost is
    bounded by the day's queue, whatever the history."""
    from server.engine import estimates

    connection = session.connection()
    for statement in estimates._AHEAD_OF.values():
        sql = str(statement.statement.compile(dialect=connection.dialect))
        plan = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", (None,) * sql.count("?"))
        on_tickets = [step for *_ids, step in plan if step.split()[1] == "tickets"]
        assert on_tickets
        for step in on_tickets:
            assert step.startswith(
                "SEARCH tickets USING INDEX ix_tickets_waiting (service_id=? AND business_date=?"
            ), step


# --- which counters serve -------------------------------------------------------------------


def test_closed_counters_do_not_serve(session, amol):
    # Only counter 1 is open; post is served by counter 3 alone.
    _open(session, amol.counters[0], amol.clerks[0])
    first = _issued(session, amol.office, "post")
    second = _issued(session, amol.office, "post")
    assert first.estimate is None and second.estimate is None
    assert second.ahead == 1  # still behind the first, whenever counter 3 opens
    # Civil: counter 2 is closed, so only counter 1 serves it, after its insurance queue.
    _issued(session, amol.office, "insurance")
    civil = _issued(session, amol.office, "civil")
    assert (civil.ahead, civil.estimate.seconds) == (1, DEFAULT)


def test_before_any_counter_opens_people_ahead_are_counted_but_no_time_is_invented(session, amol):
    # The kiosk said "under a minute" while the wall said "1–9 minutes", all counters closed.
    _issued(session, amol.office, "post")
    second = _issued(session, amol.office, "post")
    assert (second.ahead, second.estimate) == (1, None)
    _open(session, amol.counters[2], amol.clerks[2])
    assert _stands(session, second.ticket).estimate.seconds == DEFAULT


def test_a_paused_counter_does_not_serve_while_others_are_open(session, amol):
    _open(session, amol.counters[0], amol.clerks[0])
    _open(session, amol.counters[2], amol.clerks[2])
    engine.pause_counter(session, amol.counters[2].id, actor=Actor(user_id=amol.clerks[2]))
    session.commit()
    assert _issued(session, amol.office, "post").estimate is None


def test_a_service_no_counter_serves_has_no_estimate(session):
    office = builders.office(session, services=[("lonely", "L")])
    session.commit()
    issued = engine.issue(session, office, "lonely", settings=FRESH)
    assert (issued.ahead, issued.estimate) == (0, None)


# --- how long -------------------------------------------------------------------------------


def test_with_no_history_the_default_service_time_is_used(session, amol):
    settings = EngineSettings(default_service_seconds=240, estimate_cache_seconds=0)
    _open(session, amol.counters[2], amol.clerks[2])
    for _ in range(2):
        engine.issue(session, amol.office, "post", settings=settings)
    third = engine.issue(session, amol.office, "post", settings=settings)
    # Counter 3 is the only counter serving post (tier 1): two people at 240 s each.
    assert third.estimate.seconds == 480
    assert third.estimate.low < 480 < third.estimate.high


def test_more_open_counters_shorten_the_wait(session, amol):
    # insurance: counter 1 at tier 1, counter 3 at tier 2 (its post queue is empty).
    for _ in range(6):
        _issued(session, amol.office, "insurance")
    seventh = _issued(session, amol.office, "insurance").ticket
    _open(session, amol.counters[0], amol.clerks[0])
    one_counter = _stands(session, seventh).estimate
    _open(session, amol.counters[2], amol.clerks[2])
    two_counters = _stands(session, seventh).estimate
    assert (one_counter.seconds, two_counters.seconds) == (6 * DEFAULT, 3 * DEFAULT)


def test_each_ticket_ahead_counts_with_its_own_services_time(session):
    office, (counter,) = _office(session, [{"x": 1, "y": 1}])
    with time_machine.travel(MORNING, tick=False):
        _serve(session, office, counter, "x", [60] * 3)
        _serve(session, office, counter, "y", [600] * 3)
        for code in ("x", "x", "y"):
            _issued(session, office, code)
        assert _issued(session, office, "x").estimate.seconds == 2 * 60 + 600


def test_a_secondary_counters_own_queue_does_not_hold_up_the_primary_one(session):
    # Counter 1 serves x only; counter 2 serves y first and x after it.
    office, counters = _office(session, [{"x": 1}, {"y": 1, "x": 2}])
    for counter in counters:
        _open(session, counter)
    for _ in range(10):
        _issued(session, office, "y")
    _issued(session, office, "x")
    x = _issued(session, office, "x")
    assert x.ahead == 11  # counter 2 would call all of them first
    assert x.estimate.seconds == DEFAULT  # counter 1 calls it after one


def test_a_longer_queue_gets_a_wider_range(session, amol):
    _open(session, amol.counters[2], amol.clerks[2])
    widths = []
    for _ in range(8):
        found = _issued(session, amol.office, "post").estimate
        widths.append(found.high - found.low)
    assert widths == sorted(widths) and widths[0] < widths[-1]


def _serve(session, office, counter, code, durations, at=None):
    """Serve one ticket of ``code`` for each of ``durations`` seconds at ``counter``."""
    at = at or MORNING
    for seconds in durations:
        ticket = engine.issue(session, office, code, settings=FRESH, now=at).ticket
        called = engine.call_next(session, counter.id, settings=FRESH, now=at)
        assert called.id == ticket.id
        engine.act(session, ticket.id, Action.COMPLETE, now=at + timedelta(seconds=seconds))
        session.commit()
        at += timedelta(seconds=seconds + 1)
    return at


def test_recent_service_times_replace_the_default(session, amol):
    with time_machine.travel(MORNING, tick=False):
        _serve(session, amol.office, amol.counters[2], "post", [120] * 4)
    timing = service_time(session, amol.office.services[2].id, FRESH)
    assert (round(timing.mean), timing.samples) == (120, 4)


def test_quick_skips_do_not_zero_the_service_time(session, amol):
    # A clerk skips absent citizens with *next* instead of no-show: each "service" lasts
    # a second, and six people waiting were shown an ETA of 0.
    post, counter = amol.office.services[2], amol.counters[2]
    with time_machine.travel(MORNING, tick=False):
        at = _serve(session, amol.office, counter, "post", [120] * 4)
        for _ in range(8):
            engine.issue(session, amol.office, "post", settings=FRESH, now=at)
            engine.call_next(session, counter.id, settings=FRESH, now=at)
            session.commit()
            at += timedelta(seconds=SKIP_SECONDS - 14)
        timing = service_time(session, post.id, FRESH)
        assert (round(timing.mean), timing.samples) == (120, 4)
        for _ in range(5):
            _issued(session, amol.office, "post", now=at)
        sixth = _issued(session, amol.office, "post", now=at).estimate
        assert sixth.seconds == 5 * 120 and sixth.low > 0


def test_only_skips_leave_the_default_in_place(session, amol):
    counter = amol.counters[2]
    with time_machine.travel(MORNING, tick=False):
        _serve(session, amol.office, counter, "post", [2] * 6)
    timing = service_time(session, amol.office.services[2].id, FRESH)
    assert (timing.mean, timing.samples) == (DEFAULT, 0)


def test_a_ticket_left_open_for_hours_barely_moves_the_service_time(session, amol):
    with time_machine.travel(MORNING, tick=False):
        _serve(session, amol.office, amol.counters[2], "post", [100, 140] * 5 + [3 * 3600])
    timing = service_time(session, amol.office.services[2].id, FRESH)
    assert timing.samples == 11
    assert 115 <= timing.mean <= 130  # the plain mean would be over 16 minutes


# --- the board ------------------------------------------------------------------------------


def test_the_board_shows_what_a_new_ordinary_ticket_of_each_service_would_wait(session, amol):
    _open(session, amol.counters[0], amol.clerks[0])  # insurance 1, civil 2
    _open(session, amol.counters[2], amol.clerks[2])  # post 1, insurance 2
    for code, priority in [("insurance", 0), ("civil", 0), ("civil", 1), ("post", 0)] * 2:
        _issued(session, amol.office, code, priority=bool(priority))

    def board_matches_a_new_ticket() -> dict[str, int | None]:
        board = snapshot.take(session, amol.office, FRESH)
        seconds = {}
        for queue in board.services:
            new = engine.issue(session, amol.office, queue.service.code, settings=FRESH)
            session.rollback()
            assert queue.estimate == new.estimate, queue.service.code
            seconds[queue.service.code] = queue.estimate and queue.estimate.seconds
        assert {q.service.code: q.waiting for q in board.services} == {
            "insurance": 2,
            "civil": 4,
            "post": 2,
        }
        return seconds

    # Civil waits at counter 1 behind its insurance queue as well as its own.
    assert board_matches_a_new_ticket() == {
        "insurance": 2 * DEFAULT,
        "civil": 6 * DEFAULT,
        "post": 2 * DEFAULT,
    }
    _open(session, amol.counters[1], amol.clerks[1])  # civil 1
    # Counter 2 takes civil alone; counter 1 joins once its insurance queue is done.
    assert board_matches_a_new_ticket()["civil"] == 3 * DEFAULT
    engine.close_counter(session, amol.counters[2].id, actor=Actor(user_id=amol.clerks[2]))
    session.commit()
    assert board_matches_a_new_ticket()["post"] is None
