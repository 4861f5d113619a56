"""KPIs on hand-built histories with known answers, the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from harness import builders
from server.models import EventType, Office, User
from server.models import TicketStatus as S
from server.stats import GROUPINGS, DateRange, OfficeInScope, Scope, report
from tests.stats.history import counter_event, ticket, ticket_event

TEHRAN = ZoneInfo("Asia/Tehran")
D = date(2025, 3, 20)  # a Thursday, 1403/12/30: the last day of the Jalali year
NOW = datetime(2025, 4, 1, tzinfo=UTC)


def at(day: date, hour: int, minute: int = 0, second: int = 0, zone: ZoneInfo = TEHRAN) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=zone)


def scope(*offices: Office, first: date = D, last: date = D) -> Scope:
    return Scope(
        [OfficeInScope(o.id, o.code, o.name_fa, o.name_en, o.timezone) for o in offices],
        DateRange(first, last),
    )


def waits(session: Session, office: Office, seconds: list[int], day: date = D) -> None:
    for wait in seconds:
        issued = at(day, 9)
        ticket(
            session,
            office,
            "insurance",
            day,
            issued,
            S.NO_SHOW,
            called=issued + timedelta(seconds=wait),
            finished=issued + timedelta(hours=1),
        )
    session.commit()


@pytest.mark.parametrize(
    ("seconds", "mean", "median", "p90"),
    [
        ([75], 75, 75, 75),
        ([100, 200], 150, 150, 190),
        ([60, 60, 60, 300], 120, 60, 228),
        ([60, 120, 180, 600], 240, 150, 474),
    ],
)
def test_percentiles_interpolate_as_percentile_cont(
    session: Session, seconds: list[int], mean: float, median: float, p90: float
) -> None:
    office = builders.office(session)
    waits(session, office, seconds)
    wait = report(session, scope(office), None, NOW)["totals"]["wait"]
    assert wait == {"count": len(seconds), "mean": mean, "median": median, "p90": p90}


def test_nothing_measured_is_null(session: Session) -> None:
    office = builders.office(session)
    session.commit()
    totals = report(session, scope(office), None, NOW)["totals"]
    assert totals["wait"] == {"count": 0, "mean": None, "median": None, "p90": None}
    assert totals["served"] == 0 and totals["rates"]["served"] is None
    assert totals["counter_time"]["utilisation"] is None


def _a_day(session: Session) -> Office:
    """Seven tickets: served, a no-show, a transfer and its new ticket, cancelled, expired."""
    office = builders.office(session)
    one = builders.counter(session, office, 1, {"insurance": 1})
    two = builders.counter(session, office, 2, {"civil": 1})
    clerk = builders.user(session, "clerk1", office=office).id
    nine = at(D, 9)
    m = lambda minutes: nine + timedelta(minutes=minutes)  # noqa: E731
    ticket(
        session,
        office,
        "insurance",
        D,
        nine,
        S.DONE,
        called=m(1),
        started=m(2),
        finished=m(7),
        counter=one,
        clerk=clerk,
    )
    ticket(
        session,
        office,
        "insurance",
        D,
        nine,
        S.DONE,
        called=m(2),
        started=m(2.5),
        finished=m(12.5),
        counter=two,
        clerk=clerk,
    )
    ticket(
        session,
        office,
        "insurance",
        D,
        nine,
        S.NO_SHOW,
        called=m(3),
        finished=m(5),
        counter=one,
        clerk=clerk,
    )
    ticket(
        session,
        office,
        "civil",
        D,
        nine,
        S.TRANSFERRED,
        called=m(10),
        started=m(11),
        finished=m(12),
        counter=two,
        clerk=clerk,
    )
    # The transfer's new ticket keeps the old place (queued 09:00); its wait runs from 09:12.
    ticket(
        session,
        office,
        "post",
        D,
        m(12),
        S.DONE,
        queued=nine,
        called=m(20),
        started=m(21),
        finished=m(25),
        counter=one,
        clerk=clerk,
    )
    ticket(session, office, "civil", D, m(60), S.CANCELLED, finished=m(65))
    ticket(session, office, "post", D, m(120), S.EXPIRED, finished=at(D, 18))
    session.commit()
    return office


def test_outcomes_rates_and_service_level(session: Session) -> None:
    totals = report(session, scope(_a_day(session)), None, NOW)["totals"]
    counts = {
        k: totals[k]
        for k in ("tickets", "served", "no_show", "cancelled", "transferred", "expired")
    }
    assert counts == {
        "tickets": 7,
        "served": 3,
        "no_show": 1,
        "cancelled": 1,
        "transferred": 1,
        "expired": 1,
    }
    assert totals["rates"]["served"] == round(3 / 7, 4)
    # Waits 60, 120, 180, 600 and the transfer's 480; all within 600 s; the expired one missed.
    assert totals["wait"] == {"count": 5, "mean": 288, "median": 180, "p90": 552}
    assert totals["service_level"] == {"on_time": 5, "judged": 6, "share": round(5 / 6, 4)}
    assert totals["walk_up"] == {"count": 4, "mean": 52.5, "median": 60, "p90": 60}
    assert totals["service"] == {"count": 3, "mean": 380, "median": 300, "p90": 540}


def test_groups_by_service_counter_clerk_and_weekday_hour(session: Session) -> None:
    office = _a_day(session)
    by_service = report(session, scope(office), "service", NOW)["groups"]
    assert [(g["key"]["service"], g["tickets"], g["served"]) for g in by_service] == [
        ("civil", 2, 0),
        ("insurance", 3, 2),
        ("post", 2, 1),
    ]
    by_counter = report(session, scope(office), "counter", NOW)["groups"]
    assert [(g["key"]["counter"], g["tickets"]) for g in by_counter] == [(1, 3), (2, 2), (None, 2)]
    by_clerk = report(session, scope(office), "clerk", NOW)["groups"]
    assert [(g["key"]["clerk"], g["served"]) for g in by_clerk] == [("clerk1", 3), (None, 0)]
    heat = report(session, scope(office), "weekday_hour", NOW)["groups"]
    assert [(g["key"]["weekday"], g["key"]["hour"], g["tickets"]) for g in heat] == [
        (3, 9, 5),
        (3, 10, 1),
        (3, 11, 1),
    ]


@pytest.mark.parametrize("by", GROUPINGS)
def test_a_grouped_report_has_the_same_totals_as_the_ungrouped_one(
    session: Session, by: str
) -> None:
    """Grouped totals are added up from the groups' pass, not asked for again."""
    office = _a_day(session)
    one = next(c for c in office.counters if c.number == 1)
    clerk = session.scalar(select(User.id).where(User.username == "clerk1"))
    counter_event(session, one, at(D, 8, 55), "open", clerk)
    counter_event(session, one, at(D, 10), "closed", clerk)
    session.commit()
    whole = report(session, scope(office), None, NOW)["totals"]
    assert whole["counter_time"]["busy_seconds"] > 0
    assert report(session, scope(office), by, NOW)["totals"] == whole


def test_a_ticket_crossing_midnight_counts_on_its_business_day(session: Session) -> None:
    office = builders.office(session)
    issued = at(D, 23, 50)
    ticket(
        session,
        office,
        "insurance",
        D,
        issued,
        S.DONE,
        called=at(D + timedelta(days=1), 0, 5),
        started=at(D + timedelta(days=1), 0, 6),
        finished=at(D + timedelta(days=1), 0, 10),
    )
    session.commit()
    assert report(session, scope(office), None, NOW)["totals"]["wait"]["mean"] == 900
    after = report(
        session, scope(office, first=D + timedelta(days=1), last=D + timedelta(days=1)), None, NOW
    )
    assert after["totals"]["tickets"] == 0


def test_days_carry_jalali_labels_across_the_new_year(session: Session) -> None:
    office = builders.office(session)
    for day in (D, D + timedelta(days=1)):
        waits(session, office, [60], day)
    result = report(session, scope(office, last=D + timedelta(days=1)), "day", NOW)
    assert (
        result["range"]["from_jalali"] == "1403/12/30"
        and result["range"]["to_jalali"] == "1404/01/01"
    )
    assert [
        (g["key"]["date"], g["key"]["jalali"], g["key"]["weekday"], g["tickets"])
        for g in result["groups"]
    ] == [
        ("2025-03-20", "1403/12/30", 3, 1),
        ("2025-03-21", "1404/01/01", 4, 1),
    ]


def test_a_parked_ticket_is_neither_busy_nor_service_time_while_away(
    session: Session,
) -> None:
    office = builders.office(session)
    one = builders.counter(session, office, 1, {"insurance": 1})
    clerk = builders.user(session, "clerk1", office=office).id
    counter_event(session, one, at(D, 8), "open", clerk)
    # Set aside 09:10–09:40 while the citizen fetched a document; another served meanwhile.
    held = ticket(
        session,
        office,
        "insurance",
        D,
        at(D, 8, 55),
        S.DONE,
        called=at(D, 9),
        started=at(D, 9, 1),
        finished=at(D, 9, 50),
        counter=one,
        clerk=clerk,
        parked=timedelta(minutes=30),
    )
    ticket_event(session, held, EventType.PARKED, at(D, 9, 10))
    ticket_event(session, held, EventType.RESUMED, at(D, 9, 40))
    ticket(
        session,
        office,
        "insurance",
        D,
        at(D, 9, 5),
        S.DONE,
        called=at(D, 9, 15),
        started=at(D, 9, 16),
        finished=at(D, 9, 30),
        counter=one,
        clerk=clerk,
    )
    counter_event(session, one, at(D, 10), "closed", clerk)
    session.commit()
    totals = report(session, scope(office), None, NOW)["totals"]
    time = totals["counter_time"]
    # 09:00–09:10 and 09:40–09:50 for the first, 09:15–09:30 for the second.
    assert (time["open_seconds"], time["busy_seconds"]) == (7200.0, 35 * 60.0)
    # Nor is it service time: 09:01–09:50 less 30 minutes away, and 14 minutes.
    assert totals["service"] == {
        "count": 2,
        "mean": 16.5 * 60,
        "median": 16.5 * 60,
        "p90": 18.5 * 60,
    }


def test_counter_time_pauses_inside_a_service_and_a_counter_open_over_midnight(
    session: Session,
) -> None:
    office = builders.office(session)
    one = builders.counter(session, office, 1, {"insurance": 1})
    two = builders.counter(session, office, 2, {"insurance": 1})
    clerk = builders.user(session, "clerk1", office=office).id
    night = builders.user(session, "night", office=office).id
    counter_event(session, one, at(D, 8), "open", clerk)
    ticket(
        session,
        office,
        "insurance",
        D,
        at(D, 9),
        S.DONE,
        called=at(D, 9, 1),
        started=at(D, 9, 2),
        finished=at(D, 9, 7),
        counter=one,
        clerk=clerk,
    )
    # Paused for prayer in the middle of a service: ten minutes served on each side.
    ticket(
        session,
        office,
        "insurance",
        D,
        at(D, 11),
        S.DONE,
        called=at(D, 11, 50),
        started=at(D, 11, 51),
        finished=at(D, 12, 40),
        counter=one,
        clerk=clerk,
    )
    counter_event(session, one, at(D, 12), "paused:prayer", clerk)
    counter_event(session, one, at(D, 12, 30), "open", clerk)
    counter_event(session, one, at(D, 14), "closed", clerk)
    # Open from 22:00 the day before until 02:00: two hours fall in the range.
    counter_event(session, two, at(D - timedelta(days=1), 22), "open", night)
    counter_event(session, two, at(D, 2), "closed", night)
    session.commit()
    result = report(session, scope(office), "counter", NOW)
    first, second = result["groups"]
    assert first["counter_time"] == {
        "open_seconds": 19800.0,
        "busy_seconds": 1560.0,
        "idle_seconds": 18240.0,
        "pause_seconds": {"prayer": 1800.0},
        "utilisation": round(1560 / 19800, 4),
    }
    assert second["counter_time"]["open_seconds"] == 7200.0
    by_clerk = {
        g["key"]["clerk"]: g["counter_time"]
        for g in report(session, scope(office), "clerk", NOW)["groups"]
    }
    assert (
        by_clerk["night"]["open_seconds"] == 7200.0 and by_clerk["clerk1"]["busy_seconds"] == 1560.0
    )
    assert result["totals"]["counter_time"]["open_seconds"] == 27000.0


def test_an_office_in_another_time_zone_keeps_its_local_hours_across_daylight_saving(
    session: Session,
) -> None:
    berlin = ZoneInfo("Europe/Berlin")
    office = builders.office(session, "berlin", timezone="Europe/Berlin")
    tehran = builders.office(session, "sari")
    for day in (date(2025, 3, 29), date(2025, 3, 31)):  # summer time began on the 30th
        issued = at(day, 9, 15, zone=berlin)
        ticket(
            session,
            office,
            "insurance",
            day,
            issued,
            S.DONE,
            called=issued + timedelta(minutes=5),
            started=issued + timedelta(minutes=6),
            finished=issued + timedelta(minutes=9),
        )
    issued = at(date(2025, 3, 29), 9, 15)
    ticket(session, tehran, "insurance", date(2025, 3, 29), issued, S.CANCELLED, finished=issued)
    session.commit()
    both = scope(office, tehran, first=date(2025, 3, 29), last=date(2025, 3, 31))
    hours = report(session, both, "hour", NOW)["groups"]
    assert [(g["key"]["hour"], g["tickets"]) for g in hours] == [(9, 3)]
    offices = report(session, both, "office", NOW)["groups"]
    assert [(g["key"]["office"], g["served"], g["cancelled"]) for g in offices] == [
        ("berlin", 2, 0),
        ("sari", 0, 1),
    ]
