"""Routing: tiers first, priority first within them with a starvation bound, then queue time."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sqlalchemy import select

from harness import builders
from server import engine
from server.engine import Actor, EngineSettings
from server.engine.sql import claim
from server.models import Office, Ticket
from tests.engine.helpers import call, issue


def test_a_counter_calls_its_primary_services_before_its_secondary_ones(session, amol):
    # Counter 1: insurance tier 1, civil tier 2. The civil ticket is older.
    civil = issue(session, amol.office, "civil")
    insurance = issue(session, amol.office, "insurance")
    assert call(session, amol.counters[0].id).id == insurance.id
    assert call(session, amol.counters[0].id).id == civil.id


def test_within_a_tier_the_longest_waiting_ticket_goes_first(session):
    office = builders.office(session)
    counter = builders.counter(session, office, 1, {"insurance": 1, "civil": 1})
    session.commit()
    first = issue(session, office, "civil")
    second = issue(session, office, "insurance")
    third = issue(session, office, "civil")
    assert [call(session, counter.id).id for _ in range(3)] == [first.id, second.id, third.id]


def test_a_counter_never_calls_a_service_it_does_not_serve(session, amol):
    issue(session, amol.office, "post")
    assert call(session, amol.counters[1].id) is None  # counter 2 serves only civil


def test_priority_tickets_go_first_within_a_service(session, amol):
    ordinary = issue(session, amol.office, "insurance")
    elderly = issue(session, amol.office, "insurance", priority=True)
    assert call(session, amol.counters[0].id).id == elderly.id
    assert call(session, amol.counters[0].id).id == ordinary.id


def _priority_run(session, office: Office, counter_id: int, bound: int) -> list[bool]:
    settings = EngineSettings(priority_bound=bound, estimate_cache_seconds=0)
    for _ in range(3):
        issue(session, office, "insurance")
    for _ in range(3 * bound + 2):
        issue(session, office, "insurance", priority=True)
    order = []
    for _ in range(3 * bound + 5):
        ticket = engine.call_next(session, counter_id, actor=Actor(), settings=settings)
        session.commit()
        order.append(ticket.priority)
    return order


@pytest.mark.parametrize("bound", [1, 2, 3])
def test_after_k_priority_calls_in_a_row_the_oldest_ordinary_ticket_goes_next(session, amol, bound):
    order = _priority_run(session, amol.office, amol.counters[0].id, bound)
    runs = "".join("P" if p else "o" for p in order)
    # K priority calls, then one ordinary, while ordinary tickets remain.
    expected_prefix = ("P" * bound + "o") * 3
    assert runs.startswith(expected_prefix)
    assert "P" * (bound + 1) not in runs[: len(expected_prefix)]
    assert runs.count("o") == 3


def test_the_fifo_policy_ignores_priority(session, amol):
    amol.office.routing_policy = "fifo"
    session.commit()
    ordinary = issue(session, amol.office, "insurance")
    issue(session, amol.office, "insurance", priority=True)
    assert call(session, amol.counters[0].id).id == ordinary.id


def test_an_unknown_routing_policy_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown routing policy"):
        engine.routing.policy("lottery")


def test_yesterdays_waiting_tickets_are_not_called_today(session, amol):
    import time_machine

    from server.engine.clock import utcnow

    now = utcnow()
    with time_machine.travel(now - timedelta(days=1), tick=False):
        issue(session, amol.office, "insurance")
    with time_machine.travel(now, tick=False):
        assert call(session, amol.counters[0].id) is None


def test_call_next_finishes_the_current_ticket_as_served(session, amol):
    first = issue(session, amol.office, "insurance")
    issue(session, amol.office, "insurance")
    call(session, amol.counters[0].id)
    call(session, amol.counters[0].id)
    first = engine.ticket_by_id(session, first.id)
    assert first.status.value == "done"
    assert first.started_at == first.called_at


def test_call_next_with_nothing_waiting_still_finishes_the_current_ticket(session, amol):
    only = issue(session, amol.office, "insurance")
    call(session, amol.counters[0].id)
    assert call(session, amol.counters[0].id) is None
    assert engine.ticket_by_id(session, only.id).status.value == "done"
    assert engine.current_ticket(session, amol.counters[0].id) is None


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("policy", ["tiered", "fifo"])
def test_a_mixed_queue_is_called_in_exactly_the_policys_order(session, seed, policy):
    """Whatever the mix of services, tiers and priorities, each call takes the ticket a plain
    sort by (tier, priority within the starvation bound, queue time) puts first."""
    bound = 2
    tiers = {"insurance": 1, "civil": 1, "post": 2}
    letters = (("insurance", "A"), ("civil", "B"), ("post", "C"), ("tax", "D"))
    office = builders.office(session, services=letters)
    office.routing_policy = policy
    counter = builders.counter(session, office, 1, tiers)  # tax is not served here
    session.commit()
    rng = random.Random(seed)
    waiting = []  # (tier, priority, id): ids grow with queue time
    for _ in range(40):
        service, priority = rng.choice(letters)[0], rng.random() < 0.3
        ticket = issue(session, office, service, priority=priority)
        if service in tiers:
            waiting.append((tiers[service], priority, ticket.id))

    streak, expected = 0, []
    while waiting:
        priority_first = policy == "tiered" and streak < bound
        ignore_priority = policy == "fifo"
        best = min(
            waiting,
            key=lambda t: (t[0], False if ignore_priority else t[1] != priority_first, t[2]),
        )
        waiting.remove(best)
        expected.append(best[2])
        streak = streak + 1 if best[1] else 0
    settings = EngineSettings(priority_bound=bound, estimate_cache_seconds=0)
    called = []
    for _ in expected:
        called.append(engine.call_next(session, counter.id, actor=Actor(), settings=settings).id)
        session.commit()
    assert called == expected
    assert call(session, counter.id) is None


# Only PostgreSQL: SQLite lets one writer at a time, so no ticket is ever held by another.
@pytest.mark.parametrize(
    "reusable_engine", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
@pytest.mark.parametrize("others", [3, claim.CANDIDATES + 3])
def test_a_clerk_passes_over_the_tickets_other_clerks_are_claiming(
    session, session_factory, amol, others
):
    """However many of a service's first tickets other transactions hold (also more than
    the candidates read per service on PostgreSQL), a call takes the first one free."""
    tickets = [issue(session, amol.office, "civil") for _ in range(others + 2)]
    with session_factory() as other:
        held = (
            other.execute(
                select(Ticket.id)
                .where(Ticket.id.in_([t.id for t in tickets[:others]]))
                .with_for_update()
            )
            .scalars()
            .all()
        )
        assert len(held) == others
        assert call(session, amol.counters[1].id).id == tickets[others].id
        other.rollback()
    assert call(session, amol.counters[1].id).id == tickets[0].id
