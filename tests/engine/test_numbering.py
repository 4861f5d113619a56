"""Ticket numbers: letter and daily sequence, reset at the office's local midnight."""

from __future__ import annotations

from datetime import UTC, date, datetime

import time_machine
from sqlalchemy import update

from server import engine
from server.engine import EngineSettings
from server.engine.numbering import display_number
from server.models import DailySequence
from tests.engine.helpers import issue

# Tehran is UTC+03:30: local midnight is 20:30 UTC of the previous day.
BEFORE_TEHRAN_MIDNIGHT = datetime(2026, 3, 1, 20, 29, 59, tzinfo=UTC)
AFTER_TEHRAN_MIDNIGHT = datetime(2026, 3, 1, 20, 30, 1, tzinfo=UTC)
BEFORE_UTC_MIDNIGHT = datetime(2026, 3, 1, 23, 59, 0, tzinfo=UTC)
AFTER_UTC_MIDNIGHT = datetime(2026, 3, 2, 0, 1, 0, tzinfo=UTC)


def test_numbers_are_the_service_letter_and_a_three_digit_sequence():
    assert display_number("B", 7) == "B-007"
    assert display_number("B", 1234) == "B-1234"


def test_each_service_counts_on_its_own(session, amol):
    numbers = [issue(session, amol.office, s).number for s in ("civil", "civil", "post", "civil")]
    assert numbers == ["B-001", "B-002", "C-001", "B-003"]


def test_numbering_restarts_at_tehran_midnight_not_utc_midnight(session, amol):
    with time_machine.travel(BEFORE_TEHRAN_MIDNIGHT, tick=False):
        late = [issue(session, amol.office, "civil") for _ in range(3)]
    with time_machine.travel(AFTER_TEHRAN_MIDNIGHT, tick=False):
        early = issue(session, amol.office, "civil")
    with time_machine.travel(BEFORE_UTC_MIDNIGHT, tick=False):
        same_day = issue(session, amol.office, "civil")
    with time_machine.travel(AFTER_UTC_MIDNIGHT, tick=False):
        still_same_day = issue(session, amol.office, "civil")

    assert [t.number for t in late] == ["B-001", "B-002", "B-003"]
    assert late[0].business_date == date(2026, 3, 1)
    assert early.number == "B-001"
    assert early.business_date == date(2026, 3, 2)
    # UTC's midnight is 03:30 in Tehran: the same business day goes on.
    assert (same_day.number, still_same_day.number) == ("B-002", "B-003")
    assert still_same_day.business_date == date(2026, 3, 2)


def test_an_office_in_another_zone_rolls_over_at_its_own_midnight(session):
    from harness import builders

    office = builders.office(session, "kabul", timezone="Asia/Kabul")  # UTC+04:30
    session.commit()
    with time_machine.travel(datetime(2026, 3, 1, 19, 29, tzinfo=UTC), tick=False):
        assert issue(session, office, "civil").business_date == date(2026, 3, 1)
    with time_machine.travel(datetime(2026, 3, 1, 19, 31, tzinfo=UTC), tick=False):
        ticket = issue(session, office, "civil")
    assert (ticket.number, ticket.business_date) == ("B-001", date(2026, 3, 2))


def test_a_number_is_never_reused_within_the_day_even_after_cancellations(session, amol):
    from server.engine import Action
    from tests.engine.helpers import act

    first = issue(session, amol.office, "civil")
    act(session, first, Action.CANCEL)
    second = issue(session, amol.office, "civil")
    assert second.number == "B-002"


def test_the_database_writes_numbers_as_display_number_does_past_999(session, amol):
    """PostgreSQL numbers a ticket in the statement that inserts it, in SQL of its own."""
    service = next(s for s in amol.office.services if s.code == "civil")
    first = issue(session, amol.office, "civil")
    session.execute(
        update(DailySequence).where(DailySequence.service_id == service.id).values(last=997)
    )
    session.commit()
    uncapped = EngineSettings(default_daily_cap=None)
    numbers = []
    for _ in range(4):
        numbers.append(engine.issue(session, amol.office, "civil", settings=uncapped).ticket.number)
        session.commit()
    assert first.number == "B-001"
    assert numbers == [display_number("B", n) for n in (998, 999, 1000, 1001)]
    assert numbers[-2:] == ["B-1000", "B-1001"]
