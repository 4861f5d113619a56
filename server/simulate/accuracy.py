"""How good the wait estimates are: predicted at issue against the wait that followed.

For every ticket the simulator issued, the engine's estimate (and its range) is set
against the actual wait (issue → first call), beside two baselines a manager would
otherwise trust: the historical mean wait of the service at that hour on earlier days
(what most queue systems show), and the queue-length predictor of Ibrahim and Whitt,
(people ahead + 1) × the recent mean time between completions at the counters that
serve the service. Only tickets issued after the first ``warmup_days`` are scored,
so that the historical baseline has a history, and only those that got an estimate.
"""

from __future__ import annotations

import bisect
import statistics
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.engine.clock import zone
from server.models import CounterService, Office, Ticket
from server.simulate.office_day import Prediction

#: Completions the queue-length predictor averages over (the "recent" in Ibrahim and Whitt).
RECENT_COMPLETIONS = 10
#: Its guess before a counter has finished two tickets that day, divided among the counters.
FALLBACK_SERVICE_SECONDS = 300.0
#: The issue's targets: MAE 30 % below the historical mean, the range holding 75–85 %.
HISTORICAL_GAIN = 0.3
RANGE_LOW, RANGE_HIGH = 0.75, 0.85


@dataclass(frozen=True)
class Scores:
    """Errors of one predictor, in seconds; ``within`` only for the engine's stated range."""

    mae: float
    median_ae: float
    within: float | None = None


@dataclass(frozen=True)
class Target:
    name: str
    target: str
    value: str
    met: bool


@dataclass(frozen=True)
class AccuracyReport:
    scored: int
    without_estimate: int
    mean_wait: float
    engine: Scores
    historical: Scores
    queue_length: Scores

    @property
    def targets(self) -> list[Target]:
        """The issue's three targets, each with its measured value and whether it is met."""
        gain = 1 - self.engine.mae / self.historical.mae if self.historical.mae else 0.0
        within = self.engine.within or 0.0
        return [
            Target(
                "MAE below the historical-mean baseline",
                f">= {HISTORICAL_GAIN:.0%}",
                f"{gain:.1%}",
                gain >= HISTORICAL_GAIN,
            ),
            Target(
                "MAE against the queue-length predictor",
                f"<= {self.queue_length.mae:.0f} s",
                f"{self.engine.mae:.0f} s",
                self.engine.mae <= self.queue_length.mae,
            ),
            Target(
                "actual waits inside the stated range",
                f"{RANGE_LOW:.0%}-{RANGE_HIGH:.0%}",
                f"{within:.1%}",
                RANGE_LOW <= within <= RANGE_HIGH,
            ),
        ]


@dataclass(frozen=True)
class _Row:
    """A ticket as the report needs it."""

    id: int
    office_id: int
    service_id: int
    day: date
    hour: int
    issued_at: datetime
    called_at: datetime | None
    counter_id: int | None
    finished_at: datetime | None
    transferred_in: bool

    @property
    def wait(self) -> float | None:
        return (self.called_at - self.issued_at).total_seconds() if self.called_at else None


def accuracy(
    session: Session, predictions: Sequence[Prediction], warmup_days: int = 2
) -> AccuracyReport:
    """Score the engine's estimates in ``predictions`` and the two baselines on the same tickets."""
    rows = _tickets(session, {p.ticket_id for p in predictions})
    by_id = {row.id: row for row in rows}
    days = sorted({row.day for row in rows if row.id in by_id})
    scored_days = set(days[warmup_days:])
    historical = _historical_means(rows)
    queue_length = _queue_length(session, rows)
    actual, engine, low_high, hist, iw = [], [], [], [], []
    without = 0
    for p in predictions:
        row = by_id[p.ticket_id]
        if row.day not in scored_days or row.wait is None:
            continue
        if p.seconds is None:
            without += 1
            continue
        actual.append(row.wait)
        engine.append(p.seconds)
        low_high.append((p.low, p.high))
        hist.append(historical(row))
        iw.append(queue_length(row, p.ahead))
    within = sum(low <= a <= high for a, (low, high) in zip(actual, low_high, strict=True))
    return AccuracyReport(
        scored=len(actual),
        without_estimate=without,
        mean_wait=statistics.fmean(actual),
        engine=_scores(actual, engine, within / len(actual)),
        historical=_scores(actual, hist),
        queue_length=_scores(actual, iw),
    )


def _scores(actual: list[float], predicted: list[float], within: float | None = None) -> Scores:
    errors = [abs(a - p) for a, p in zip(actual, predicted, strict=True)]
    return Scores(statistics.fmean(errors), statistics.median(errors), within)


def _tickets(session: Session, ids: set[int]) -> list[_Row]:
    """Every ticket of the offices and days the predictions are about (the others' too:
    they are ahead in the queue and finish at the counters)."""
    first = session.execute(
        select(Ticket.office_id, Ticket.business_date).where(Ticket.id.in_(sorted(ids)[:1]))
    ).first()
    if first is None:
        return []
    office_id = first[0]
    timezone = zone(session.scalar(select(Office.timezone).where(Office.id == office_id)))
    result = session.execute(
        select(
            Ticket.id,
            Ticket.office_id,
            Ticket.service_id,
            Ticket.business_date,
            Ticket.issued_at,
            Ticket.called_at,
            Ticket.counter_id,
            Ticket.finished_at,
            Ticket.transferred_from_id,
        )
        .where(Ticket.office_id == office_id)
        .order_by(Ticket.id)
    )
    return [
        _Row(t, o, s, d, issued.astimezone(timezone).hour, issued, called, c, finished, bool(f))
        for t, o, s, d, issued, called, c, finished, f in result
    ]


def _historical_means(rows: list[_Row]) -> Callable[[_Row], float]:
    """The mean wait of the service at the ticket's hour on earlier days (else at any hour,
    else of the office): what a display that shows "usual wait" would have said."""
    sums: dict[tuple, list[float]] = defaultdict(lambda: [0.0, 0])
    by_day: dict[date, list[_Row]] = defaultdict(list)
    for row in rows:
        if row.wait is not None and not row.transferred_in:
            by_day[row.day].append(row)
    means: dict[date, dict[tuple, float]] = {}
    for day in sorted({row.day for row in rows}):
        means[day] = {key: total / n for key, (total, n) in sums.items()}
        for row in by_day[day]:
            for key in ((row.service_id, row.hour), (row.service_id,), ()):
                sums[key][0] += row.wait
                sums[key][1] += 1

    def predict(row: _Row) -> float:
        known = means[row.day]
        for key in ((row.service_id, row.hour), (row.service_id,), ()):
            if key in known:
                return known[key]
        return 0.0

    return predict


def _queue_length(session: Session, rows: list[_Row]) -> Callable[[_Row, int], float]:
    """Ibrahim and Whitt's predictor over the day's completions at the service's counters."""
    links: dict[int, list[int]] = defaultdict(list)
    for counter_id, service_id in session.execute(
        select(CounterService.counter_id, CounterService.service_id)
    ):
        links[service_id].append(counter_id)
    finished: dict[tuple[int, date], list[datetime]] = defaultdict(list)
    for row in rows:
        if row.counter_id is not None and row.finished_at is not None:
            finished[row.counter_id, row.day].append(row.finished_at)
    merged: dict[tuple[int, date], list[datetime]] = {}

    def completions(service_id: int, day: date) -> list[datetime]:
        if (service_id, day) not in merged:
            times = [t for c in links[service_id] for t in finished.get((c, day), [])]
            merged[service_id, day] = sorted(times)
        return merged[service_id, day]

    def predict(row: _Row, ahead: int) -> float:
        times = completions(row.service_id, row.day)
        recent = times[max(0, bisect.bisect_right(times, row.issued_at) - RECENT_COMPLETIONS) :]
        recent = [t for t in recent if t <= row.issued_at]
        if len(recent) >= 2:
            gap = (recent[-1] - recent[0]).total_seconds() / (len(recent) - 1)
        else:
            gap = FALLBACK_SERVICE_SECONDS / max(1, len(links[row.service_id]))
        return (ahead + 1) * gap

    return predict
