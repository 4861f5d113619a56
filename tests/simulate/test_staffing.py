"""Erlang C staffing advice against worked examples, and the counters an office's history needs."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest

from server.models import Office
from server.staffing import advice, erlang_c, hourly_needs, service_level


def direct_erlang_c(counters: int, load: int) -> float:
    """Erlang C straight from its textbook definition, in exact fractions:
    (A^N/N!)·N/(N−A) / (Σ_{k<N} A^k/k! + (A^N/N!)·N/(N−A))."""
    top = Fraction(load**counters, math.factorial(counters)) * Fraction(counters, counters - load)
    rest = sum(Fraction(load**k, math.factorial(k)) for k in range(counters))
    return float(top / (rest + top))


def test_the_call_centre_example():
    """callcentrehelper.com, "Erlang C formula – made simple": 100 calls in 30 minutes, an
    average handling time of 180 s, 80 % to be answered within 20 s. Traffic A = 10 erlangs.
    With 11 agents the probability of waiting is 68.2 % and the service level about 39 %; 14
    agents are the fewest that reach 80 % (88.8 %). Every figure is checked here against the
    direct definition as well."""
    per_hour = 200
    assert erlang_c(11, 10) == pytest.approx(0.6821, abs=1e-4)
    for agents in range(11, 16):
        assert erlang_c(agents, 10) == pytest.approx(direct_erlang_c(agents, 10), rel=1e-12)
    assert service_level(11, per_hour, 180, 20) == pytest.approx(0.3896, abs=1e-4)
    assert service_level(13, per_hour, 180, 20) == pytest.approx(0.7956, abs=1e-4)
    assert service_level(14, per_hour, 180, 20) == pytest.approx(0.8884, abs=1e-4)
    assert advice(per_hour, 180, 20, 0.8) == 14


def test_one_counter_is_the_m_m_1_queue():
    """With one server Erlang C is the utilisation ρ, and P(wait ≤ t) = 1 − ρ·e^{−(μ−λ)t}."""
    # 6 an hour, 6 minutes each: ρ = 0.6, μ − λ = 4 an hour.
    assert erlang_c(1, 0.6) == pytest.approx(0.6)
    assert service_level(1, 6, 360, 900) == pytest.approx(1 - 0.6 * math.exp(-4 * 0.25))


def test_two_counters_match_the_m_m_2_closed_form():
    """For two servers P(wait) = 2ρ²/(1 + ρ), ρ = A/2."""
    for load in (0.4, 1.0, 1.7):
        rho = load / 2
        assert erlang_c(2, load) == pytest.approx(2 * rho**2 / (1 + rho))


def test_no_citizens_need_no_counter_and_overload_never_meets_a_target():
    assert advice(0, 300, 600) == 0
    assert service_level(2, 30, 300, 600) == 0.0  # 2.5 erlangs on 2 counters
    assert advice(30, 300, 600) >= 3
    with pytest.raises(ValueError):
        advice(10, 300, 600, 1.0)


def test_an_office_history_gives_counters_per_service_and_hour(three_days):
    session = three_days.session
    office = session.query(Office).filter_by(code="amol").one()
    days = three_days.history.days
    needs = hourly_needs(session, office.id, days[0], days[-1])
    assert {need.service for need in needs} >= {"post-bank", "national-id"}
    assert {need.hour for need in needs} <= set(range(7, 15))
    for need in needs:
        assert need.counters == advice(
            need.arrivals_per_hour, need.mean_service_seconds, need.target_wait_seconds
        )
        assert need.counters >= 1
