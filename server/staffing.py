"""Staffing advice: how many open counters a service needs to meet its target wait (Erlang C).

An M/M/c queue: citizens arrive at random at rate λ, each takes on average 1/μ at a
counter, c counters. Erlang C gives the probability that a citizen waits at all, and
the share called within t is ``1 − C·e^{−(cμ − λ)t}``. Its assumptions (no one leaves
the queue, exponential service) are a little pessimistic for an office, so the advice
errs towards one counter too many, which is what a manager planning a day wants.

Flask-free, for the dashboard's staffing tile and the command line alike.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, type_coerce
from sqlalchemy.orm import Session

from server import stats
from server.database import UTCDateTime
from server.engine.clock import zone
from server.models import IS_DONE, NET_SERVICE_US, Office, Service, Ticket
from server.stats import counters

#: The share of citizens to call within their service's target wait, unless told otherwise.
DEFAULT_TARGET_SHARE = 0.8


def erlang_c(counters: int, load: float) -> float:
    """Probability that an arrival waits, with ``load`` = λ/μ erlangs on ``counters`` servers.

    Through the Erlang B recursion, which stays exact where factorials would overflow.
    """
    if load <= 0:
        return 0.0
    if counters <= load:
        return 1.0
    blocking = 1.0
    for k in range(1, counters + 1):
        blocking = load * blocking / (k + load * blocking)
    return counters * blocking / (counters - load * (1 - blocking))


def service_level(
    counters: int, arrivals_per_hour: float, mean_service_seconds: float, target_wait_seconds: float
) -> float:
    """Share of citizens called within ``target_wait_seconds`` (0 when the queue grows)."""
    load = arrivals_per_hour * mean_service_seconds / 3600
    if load <= 0:
        return 1.0
    if counters <= load:
        return 0.0
    waits = erlang_c(counters, load)
    return 1 - waits * math.exp(-(counters - load) * target_wait_seconds / mean_service_seconds)


def advice(
    arrivals_per_hour: float,
    mean_service_seconds: float,
    target_wait_seconds: float,
    target_share: float = DEFAULT_TARGET_SHARE,
) -> int:
    """The fewest counters that call ``target_share`` of citizens within the target wait."""
    if not 0 < target_share < 1:
        raise ValueError("target_share must be between 0 and 1")
    if arrivals_per_hour <= 0:
        return 0
    load = arrivals_per_hour * mean_service_seconds / 3600
    counters = max(1, math.floor(load) + 1)
    while (
        service_level(counters, arrivals_per_hour, mean_service_seconds, target_wait_seconds)
        < target_share
    ):
        counters += 1
    return counters


@dataclass(frozen=True)
class HourNeed:
    """A service at an hour of the day: its recorded demand and the counters it needs."""

    service: str
    hour: int
    arrivals_per_hour: float
    mean_service_seconds: float
    target_wait_seconds: int
    counters: int


def hourly_needs(
    session: Session,
    office_id: int,
    start: date,
    end: date,
    target_share: float = DEFAULT_TARGET_SHARE,
) -> list[HourNeed]:
    """Per service and local hour, the counters needed, from the office's days ``start``–``end``.

    Arrivals per hour are averaged over the days the office issued tickets at all (a
    closed Friday is not a quiet one); the service time is the service's mean over the
    range, served tickets only (an hour's few tickets would make it noisy). Transferred
    tickets count as arrivals of the service they were sent to.
    """
    timezone = zone(session.scalar(select(Office.timezone).where(Office.id == office_id)))
    services = {
        service_id: (code, target)
        for service_id, code, target in session.execute(
            select(Service.id, Service.code, Service.target_wait_seconds).where(
                Service.office_id == office_id
            )
        )
    }
    rows = session.execute(
        select(Ticket.service_id, Ticket.business_date, Ticket.issued_at).where(
            Ticket.office_id == office_id, Ticket.business_date.between(start, end)
        )
    ).all()
    days = {day for _, day, _ in rows}
    arrivals: dict[tuple[int, int], int] = defaultdict(int)
    for service_id, _, issued_at in rows:
        arrivals[service_id, issued_at.astimezone(timezone).hour] += 1
    service_seconds = _mean_service_seconds(session, office_id, start, end)
    needs = []
    for (service_id, hour), count in sorted(arrivals.items()):
        mean = service_seconds.get(service_id)
        if mean is None:
            continue
        code, target = services[service_id]
        rate = count / len(days)
        needs.append(
            HourNeed(code, hour, rate, mean, target, advice(rate, mean, target, target_share))
        )
    return needs


def _mean_service_seconds(
    session: Session, office_id: int, start: date, end: date
) -> dict[int, float]:
    rows = session.execute(
        select(Ticket.service_id, func.avg(NET_SERVICE_US))
        .where(
            Ticket.office_id == office_id,
            Ticket.business_date.between(start, end),
            IS_DONE,
            Ticket.started_at.is_not(None),
        )
        .group_by(Ticket.service_id)
    )
    return {service_id: float(mean) / 1_000_000 for service_id, mean in rows}


def counters_open(
    session: Session, office_id: int, start: date, end: date, now: datetime
) -> dict[int, float]:
    """Per local hour, the mean number of counters open (not paused), over days with tickets.

    What "actually open" means next to the advice: the counters' open stretches split at
    each local hour, summed and divided by the hour and by the same days as
    :func:`hourly_needs` averages over, so the two are comparable.
    """
    office_zone = session.scalar(select(Office.timezone).where(Office.id == office_id))
    timezone = zone(office_zone)
    first, last = stats.DateRange(start, end).utc_bounds(office_zone)
    stretches = counters.stretches_of(session, [office_id], first, last, now)
    s = stretches.c
    rows = session.execute(
        select(type_coerce(s.s, UTCDateTime), type_coerce(s.e, UTCDateTime)).where(
            s.state == "open", s.e > s.s
        )
    ).all()
    days = session.scalars(
        select(Ticket.business_date)
        .where(Ticket.office_id == office_id, Ticket.business_date.between(start, end))
        .distinct()
    ).all()
    if not days:
        return {}
    seconds: dict[int, float] = defaultdict(float)
    for opened, closed in rows:
        for hour, part in _by_local_hour(opened, closed, timezone):
            seconds[hour] += part
    return {hour: total / 3600 / len(days) for hour, total in sorted(seconds.items())}


def _by_local_hour(
    opened: datetime, closed: datetime, timezone: ZoneInfo
) -> Iterator[tuple[int, float]]:
    """The seconds of ``opened``–``closed`` in each local hour it crosses."""
    cursor = opened
    while cursor < closed:
        local = cursor.astimezone(timezone)
        boundary = (
            local.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        ).astimezone(UTC)
        part_end = min(boundary, closed)
        yield local.hour, (part_end - cursor).total_seconds()
        cursor = part_end
