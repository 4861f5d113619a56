"""The estimate accuracy report, recomputed here from the simulated history by other means."""

from __future__ import annotations

import statistics
from datetime import datetime

import pytest
from sqlalchemy import select

from server.engine.clock import zone
from server.models import CounterService, Ticket
from server.simulate.accuracy import accuracy

TEHRAN = zone("Asia/Tehran")


def test_the_report_equals_a_recomputation_from_the_tickets(three_days):
    session, predictions = three_days.session, three_days.history.predictions
    report = accuracy(session, predictions, warmup_days=2)
    tickets = {t.id: t for t in session.scalars(select(Ticket))}
    links = session.execute(select(CounterService.service_id, CounterService.counter_id)).all()
    last_day = max(t.business_date for t in tickets.values())

    def wait(t: Ticket) -> float:
        return (t.called_at - t.issued_at).total_seconds()

    def historical(t: Ticket) -> float:
        hour = t.issued_at.astimezone(TEHRAN).hour
        earlier = [
            wait(o)
            for o in tickets.values()
            if o.service_id == t.service_id
            and o.business_date < t.business_date
            and o.called_at is not None
            and o.transferred_from_id is None
        ]
        same_hour = [
            wait(o)
            for o in tickets.values()
            if o.service_id == t.service_id
            and o.business_date < t.business_date
            and o.called_at is not None
            and o.transferred_from_id is None
            and o.issued_at.astimezone(TEHRAN).hour == hour
        ]
        return statistics.fmean(same_hour or earlier)

    def queue_length(t: Ticket, ahead: int) -> float:
        counters = {c for s, c in links if s == t.service_id}
        done: list[datetime] = sorted(
            o.finished_at
            for o in tickets.values()
            if o.counter_id in counters
            and o.business_date == t.business_date
            and o.finished_at is not None
            and o.finished_at <= t.issued_at
        )[-10:]
        gap = (
            (done[-1] - done[0]).total_seconds() / (len(done) - 1)
            if len(done) >= 2
            else 300 / len(counters)
        )
        return (ahead + 1) * gap

    scored = [
        p
        for p in predictions
        if tickets[p.ticket_id].business_date == last_day
        and tickets[p.ticket_id].called_at is not None
        and p.seconds is not None
    ]
    actual = [wait(tickets[p.ticket_id]) for p in scored]
    engine_errors = [abs(a - p.seconds) for a, p in zip(actual, scored, strict=True)]
    hist_errors = [
        abs(a - historical(tickets[p.ticket_id])) for a, p in zip(actual, scored, strict=True)
    ]
    iw_errors = [
        abs(a - queue_length(tickets[p.ticket_id], p.ahead))
        for a, p in zip(actual, scored, strict=True)
    ]
    within = sum(p.low <= a <= p.high for a, p in zip(actual, scored, strict=True))

    assert report.scored == len(scored) > 100
    assert report.engine.mae == pytest.approx(statistics.fmean(engine_errors))
    assert report.engine.median_ae == pytest.approx(statistics.median(engine_errors))
    assert report.engine.within == pytest.approx(within / len(scored))
    assert report.historical.mae == pytest.approx(statistics.fmean(hist_errors))
    assert report.queue_length.mae == pytest.approx(statistics.fmean(iw_errors))
    assert report.queue_length.median_ae == pytest.approx(statistics.median(iw_errors))
    assert [target.met for target in report.targets] == [
        1 - report.engine.mae / report.historical.mae >= 0.3,
        report.engine.mae <= report.queue_length.mae,
        0.75 <= report.engine.within <= 0.85,
    ]


def test_every_issued_ticket_has_its_prediction(three_days):
    session, predictions = three_days.session, three_days.history.predictions
    issued = session.scalars(select(Ticket.id).where(Ticket.transferred_from_id.is_(None))).all()
    assert sorted(p.ticket_id for p in predictions) == sorted(issued)
