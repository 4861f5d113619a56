"""Wait estimates: people ahead, and how long until a counter calls them, with a range.

Model: service times of the recent served tickets of a service give a mean and a
spread; counters open for the service share the work, a counter that has the
service as a lower tier counting for less (it serves its higher tiers first).
The range is the mean ± 1.3 standard deviations of the sum of the service times
ahead, so a long queue gets a wider, honest range.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, bindparam, func, or_, select
from sqlalchemy.orm import Session

from server.engine.cache import cached
from server.engine.facts import TicketFacts, counters, tickets
from server.engine.prepared import Prepared
from server.engine.settings import EngineSettings
from server.models import IS_DONE, IS_WAITING, CounterService, CounterState, Ticket

counter_services = CounterService.__table__

_SPREAD_Z = 1.3


@dataclass(frozen=True)
class ServiceTime:
    mean: float
    stdev: float
    samples: int


@dataclass(frozen=True)
class Estimate:
    """Seconds until a ticket is likely called: ``seconds`` within [``low``, ``high``]."""

    seconds: int
    low: int
    high: int


def service_time(session: Session, service_id: int, settings: EngineSettings) -> ServiceTime:
    """Recent mean service time of a service (cached briefly: it moves slowly)."""
    return cached(
        session,
        "service-time",
        service_id,
        settings.estimate_cache_seconds,
        lambda: _service_time(session, service_id, settings),
    )


def _service_time(session: Session, service_id: int, settings: EngineSettings) -> ServiceTime:
    rows = session.execute(
        select(Ticket.started_at, Ticket.finished_at)
        .where(Ticket.service_id == service_id, IS_DONE, Ticket.started_at.is_not(None))
        .order_by(Ticket.finished_at.desc())
        .limit(settings.estimate_sample)
    ).all()
    durations = [(end - start).total_seconds() for start, end in rows]
    if len(durations) < settings.estimate_min_samples:
        default = float(settings.default_service_seconds)
        return ServiceTime(mean=default, stdev=default / 2, samples=len(durations))
    return ServiceTime(
        mean=statistics.fmean(durations),
        stdev=statistics.stdev(durations),
        samples=len(durations),
    )


_ahead = tickets.c
_WAITING_IN_SERVICE = (
    select(func.count())
    .select_from(tickets)
    .where(
        IS_WAITING,
        _ahead.service_id == bindparam("service_id"),
        _ahead.business_date == bindparam("day"),
    )
)
_EARLIER = or_(
    _ahead.queued_at < bindparam("queued_at"),
    and_(_ahead.queued_at == bindparam("queued_at"), _ahead.id < bindparam("id")),
)
_AHEAD_OF_PRIORITY = Prepared(_WAITING_IN_SERVICE.where(_ahead.priority.is_(True), _EARLIER))
_AHEAD_OF_ORDINARY = Prepared(_WAITING_IN_SERVICE.where(or_(_ahead.priority.is_(True), _EARLIER)))
_CAPACITY = (
    select(counter_services.c.tier, counters.c.state)
    .join(counters, counters.c.id == counter_services.c.counter_id)
    .where(counter_services.c.service_id == bindparam("service_id"))
)


def people_ahead(session: Session, ticket: TicketFacts) -> int:
    """Waiting tickets of the same service that routing would call before ``ticket``."""
    statement = _AHEAD_OF_PRIORITY if ticket.priority else _AHEAD_OF_ORDINARY
    return statement.scalar(
        session,
        {
            "service_id": ticket.service_id,
            "day": ticket.business_date,
            "queued_at": ticket.queued_at,
            "id": ticket.id,
        },
    )


# Counters open and close a few times a day: a capacity a second or two old is as good.
CAPACITY_CACHE_SECONDS = 2.0


def capacity(session: Session, service_id: int, max_age: float = CAPACITY_CACHE_SECONDS) -> float:
    """How many counters' worth of work the service gets: open counters, weighted by tier.

    Before any counter has opened, the counters that serve the service stand in,
    so a citizen arriving early still gets an estimate.
    """
    return cached(session, "capacity", service_id, max_age, lambda: _capacity(session, service_id))


def _capacity(session: Session, service_id: int) -> float:
    links = session.execute(_CAPACITY, {"service_id": service_id}).all()
    open_links = [tier for tier, state in links if state is CounterState.OPEN]
    tiers = open_links or [tier for tier, _state in links]
    return sum(1.0 / tier for tier in tiers)


def estimate(
    session: Session, service_id: int, ahead: int, settings: EngineSettings
) -> Estimate | None:
    """Estimated wait for the next ticket after ``ahead`` others; None if no counter serves it."""
    workers = capacity(
        session, service_id, min(settings.estimate_cache_seconds, CAPACITY_CACHE_SECONDS)
    )
    if workers <= 0:
        return None
    timing = service_time(session, service_id, settings)
    rounds = ahead / workers
    seconds = rounds * timing.mean
    spread = _SPREAD_Z * timing.stdev * math.sqrt(rounds) if rounds else 0.0
    return Estimate(
        seconds=round(seconds),
        low=max(0, round(seconds - spread)),
        high=round(seconds + spread),
    )


def waiting_counts(session: Session, office_id: int, day: date) -> dict[int, int]:
    """Waiting tickets per service id for the office's business day."""
    rows = session.execute(
        select(Ticket.service_id, func.count())
        .where(IS_WAITING, Ticket.office_id == office_id, Ticket.business_date == day)
        .group_by(Ticket.service_id)
    ).all()
    return dict(rows)
