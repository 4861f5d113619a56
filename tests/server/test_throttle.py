"""The sign-in throttle's rule: free failures, then a doubling wait up to a cap, forgotten."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from server import throttle
from server.models import SignInFailures

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def test_five_failures_are_free_then_each_doubles_the_wait_up_to_fifteen_minutes(session):
    waits = []
    for _ in range(11):
        throttle.failed(session, "clerk1", "10.0.0.1", NOW)
        waits.append(throttle.wait(session, "clerk1", "10.0.0.1", NOW))
    minutes = [None if w is None else w / MINUTE for w in waits]
    assert minutes == [None, None, None, None, 1, 2, 4, 8, 15, 15, 15]


def test_an_address_gets_twenty_free_failures_across_names(session):
    for attempt in range(19):
        throttle.failed(session, f"guess{attempt}", "10.0.0.1", NOW)
    assert throttle.wait(session, "clerk1", "10.0.0.1", NOW) is None
    throttle.failed(session, "guess19", "10.0.0.1", NOW)
    assert throttle.wait(session, "clerk1", "10.0.0.1", NOW) == MINUTE
    assert throttle.wait(session, "clerk1", "10.0.0.2", NOW) is None


def test_the_wait_runs_out(session):
    for _ in range(5):
        throttle.failed(session, "clerk1", "10.0.0.1", NOW)
    assert throttle.wait(session, "clerk1", "10.0.0.1", NOW + 59 * timedelta(seconds=1))
    assert throttle.wait(session, "clerk1", "10.0.0.1", NOW + MINUTE) is None


def test_a_quiet_hour_forgets_the_failures(session):
    for _ in range(4):
        throttle.failed(session, "clerk1", "10.0.0.1", NOW)
    later = NOW + timedelta(hours=1, minutes=1)
    throttle.failed(session, "clerk1", "10.0.0.1", later)
    assert throttle.wait(session, "clerk1", "10.0.0.1", later) is None
    counts = session.scalars(select(SignInFailures.failures)).all()
    assert counts == [1, 1]


def test_quiet_streaks_of_other_names_are_deleted(session):
    throttle.failed(session, "guess", "10.0.0.1", NOW)
    throttle.failed(session, "clerk1", "10.0.0.2", NOW + timedelta(hours=2))
    keys = set(session.scalars(select(SignInFailures.key)))
    assert keys == {"clerk1", "10.0.0.2"}


def test_signing_in_resets_the_name_but_not_the_address(session):
    for _ in range(3):
        throttle.failed(session, "clerk1", "10.0.0.1", NOW)
    throttle.succeeded(session, "clerk1")
    rows = dict(session.execute(select(SignInFailures.scope, SignInFailures.failures)).all())
    assert rows == {"address": 3}


def test_long_names_are_counted_by_their_first_64_characters(session):
    for suffix in "abcde":
        throttle.failed(session, "x" * 64 + suffix, f"10.0.0.{ord(suffix)}", NOW)
    assert throttle.wait(session, "x" * 64, "10.9.9.9", NOW) == MINUTE
    assert session.scalar(select(func.count()).select_from(SignInFailures)) == 6
