"""The office-day simulator: a real office's history, the same for the same seed."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from server import engine
from server.engine import Actor
from server.engine.clock import zone
from server.models import Counter, EventType, Ticket, TicketEvent, TicketStatus
from server.simulate import SimulationRefused, last_working_days, model, simulate, working_days
from tests.simulate.conftest import START, simulated


def _history(session):
    """Everything a seed decides, without ids' and links' randomness."""
    tickets = session.execute(
        select(
            Ticket.number,
            Ticket.status,
            Ticket.priority_reason,
            Ticket.issued_at,
            Ticket.called_at,
            Ticket.started_at,
            Ticket.finished_at,
            Ticket.counter_id,
            Ticket.clerk_id,
        ).order_by(Ticket.id)
    ).all()
    events = session.execute(
        select(
            TicketEvent.type, TicketEvent.at, TicketEvent.counter_id, TicketEvent.detail
        ).order_by(TicketEvent.id)
    ).all()
    return tickets, events


def test_the_same_seed_writes_the_same_history(tmp_path):
    first = simulated(tmp_path / "a", 1, seed=5)
    again = simulated(tmp_path / "b", 1, seed=5)
    other = simulated(tmp_path / "c", 1, seed=6)
    for path in ("a", "b", "c"):
        (tmp_path / path).mkdir()
    runs = [next(run) for run in (first, again, other)]
    histories = [_history(run.session) for run in runs]
    assert histories[0] == histories[1]
    assert histories[0] != histories[2]
    for run in (first, again, other):
        run.close()


def test_a_day_has_every_outcome_and_kind_of_event(three_days):
    session = three_days.session
    by_status = select(Ticket.status, func.count()).group_by(Ticket.status)
    outcomes = dict(session.execute(by_status).all())
    assert outcomes[TicketStatus.DONE] > 400
    assert outcomes[TicketStatus.NO_SHOW] > 0 and outcomes[TicketStatus.TRANSFERRED] > 0
    assert not {TicketStatus.WAITING, TicketStatus.CALLED, TicketStatus.SERVING} & outcomes.keys()
    kinds = set(session.scalars(select(TicketEvent.type).distinct()))
    assert {EventType.ISSUED, EventType.CALLED, EventType.STARTED, EventType.RECALLED} <= kinds
    pauses = set(
        session.scalars(
            select(TicketEvent.detail).where(TicketEvent.type == EventType.COUNTER).distinct()
        )
    )
    assert {"open", "closed", "paused:prayer", "paused:lunch"} <= pauses
    assert session.scalar(select(func.count()).where(Ticket.priority)) > 0


def test_every_counter_is_closed_at_the_end(three_days):
    states = set(three_days.session.scalars(select(Counter.state)))
    assert {state.value for state in states} == {"closed"}


def test_tickets_come_in_office_hours_and_peak_mid_morning(three_days):
    hours: dict[int, int] = {}
    for issued in three_days.session.scalars(select(Ticket.issued_at)):
        hour = issued.astimezone(zone("Asia/Tehran")).hour
        hours[hour] = hours.get(hour, 0) + 1
    assert min(hours) == 7 and max(hours) <= 14
    assert max(hours, key=hours.get) in (9, 10)
    assert hours[12] < hours[10]


def test_days_with_tickets_are_skipped(three_days):
    again = simulate(three_days.session, "amol", working_days(START, 3), seed=1)
    assert again.days == [] and len(again.skipped) == 3


def test_an_office_with_an_open_counter_is_refused(three_days):
    session = three_days.session
    counter = session.scalar(select(Counter).order_by(Counter.number))
    engine.open_counter(session, counter.id, actor=Actor(user_id=None))
    session.commit()
    try:
        with pytest.raises(SimulationRefused, match="open"):
            simulate(session, "amol", [date(2025, 6, 1)])
    finally:
        engine.close_counter(session, counter.id)
        session.commit()


def test_working_days_leave_out_fridays():
    days = working_days(date(2025, 4, 17), 3)  # a Thursday
    assert days == [date(2025, 4, 17), date(2025, 4, 19), date(2025, 4, 20)]
    assert last_working_days(date(2025, 4, 19), 2) == [date(2025, 4, 16), date(2025, 4, 17)]


def test_the_start_of_a_jalali_month_is_busier():
    assert model.day_factor(date(2025, 4, 21)) > model.day_factor(date(2025, 5, 5))  # 1404/02/01
