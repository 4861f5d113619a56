"""Wait estimates: who is ahead of a ticket, and how long until a counter calls it, with a range.

Who serves a ticket: the office's open counters linked to its service (a paused
counter is not open). While none of them is open, nobody is working towards the
ticket: no estimate (None), and every screen says so rather than invent a time (an
early citizen was once promised "under a minute" by the kiosk while the wall said
"1–9 minutes"). Its people ahead are then still counted with the linked counters,
so that nobody behind others is told they are next.

People ahead: the waiting tickets of the day that at least one of those counters
would call first, in routing's order. A counter calls every waiting ticket of the
services it has at a better tier first, whatever their queue time; at the same
tier it goes by priority (unless the office's policy ignores it), queue time and
id, across all the services of that tier. So another service's tickets count as
soon as they share a counter with this one.

Time: at each counter, the work ahead is its tickets ahead, each at the recent
service time of its own service. Counters share that work: a group of counters
clears the union of their tickets ahead in about its work divided by their number,
and the ticket is called once the first such group is through, so the estimate is
the least of these over the groups made of the 1, 2, 3… counters with the least
work ahead. Every counter counts as one clerk, whatever its tier: the old weight
of 1/tier stood for the better-tier queues a secondary counter serves first, and
those tickets are now in its work ahead, each with its own service's time;
weighting them as well would count them twice. Dividing everything ahead among
every counter instead would let one secondary counter's long queue of its own
swamp a ticket that its primary counter will reach soon. Not foreseen: tickets
that arrive later at a counter's better tier or with priority (they too go
first), the citizen now at each counter, and the starvation bound, so the
estimate is for the queue as it stands.

Range: each counter's share of the work is a sum of service times, so the range is
the estimate ± 2 standard deviations of that sum (each service with its own spread):
a long queue honestly gets a wider range. What is not foreseen only ever delays a
call (the citizens already at the counters, a clerk's pause, the walk to the counter),
so the top of the range reaches 1.25 typical service times further. Measured on
simulated office days (``bench/bench_estimates.py``), ± 1.3 deviations alone held 16 %
of actual waits; this range is meant to hold about 80 %.

One statement finds, per serving counter and service, how many tickets the counter
calls first. Each service's tickets are counted once, whatever the number of counters
sharing it, so the cost is bounded by the day's waiting tickets of those services.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from datetime import date

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    bindparam,
    case,
    exists,
    false,
    func,
    or_,
    select,
    true,
)
from sqlalchemy.orm import Session

from server.engine import routing
from server.engine.cache import cached
from server.engine.facts import OfficeFacts, TicketFacts, counters, office_by_id, tickets
from server.engine.settings import EngineSettings
from server.engine.sql.prepared import Prepared
from server.models import (
    IS_DONE,
    IS_WAITING,
    NET_SERVICE_US,
    CounterService,
    CounterState,
    Ticket,
)

counter_services = CounterService.__table__

_SPREAD_Z = 2.0
#: How many typical service times the unforeseen adds at the top of the range.
_UNFORESEEN = 1.25
#: A "service" shorter than this was a clerk skipping an absent citizen with *next*.
SKIP_SECONDS = 15
#: The share of samples at each end pulled in to the nearest value kept (from 10 samples).
_WINSOR = 0.1


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


@dataclass(frozen=True)
class Ahead:
    """The waiting tickets each counter that will serve a ticket calls before it."""

    #: counter id → service id → tickets of that service the counter calls first (none: left out)
    by_counter: dict[int, dict[int, int]]
    #: False when the office has an open counter but none of them serves the ticket
    served: bool = True

    @property
    def people(self) -> int:
        """Distinct tickets ahead: at least one of the counters calls them first."""
        # Per service, what counters call first is all of its waiting tickets (a better
        # tier), those before this one in routing's order (the same tier), or none: sets
        # nested in one another, so their union is the largest.
        union: dict[int, int] = {}
        for counts in self.by_counter.values():
            for service_id, count in counts.items():
                union[service_id] = max(union.get(service_id, 0), count)
        return sum(union.values())


def service_time(session: Session, service_id: int, settings: EngineSettings) -> ServiceTime:
    """Recent typical service time of a service (cached briefly: it moves slowly)."""
    return cached(
        session,
        "service-time",
        service_id,
        settings.estimate_cache_seconds,
        lambda: _service_time(session, service_id, settings),
    )


def _service_time(session: Session, service_id: int, settings: EngineSettings) -> ServiceTime:
    """Mean and spread of the last served tickets' net service times, skips left out and
    stray values pulled in.

    Calls shorter than :data:`SKIP_SECONDS` were skips, not service: a few of them
    made the mean nearly zero. Twice the sample is read so that skips rarely leave it
    short. Of what remains, the lowest and highest tenth are pulled in to the nearest
    kept value (winsorised) before the mean and standard deviation: a ticket left open
    over lunch, or a skip just over the floor, no longer moves the estimate much,
    while the mean (not the median) still adds up to the time a queue really takes,
    long services included.
    """
    rows = session.execute(
        select(NET_SERVICE_US)
        .where(Ticket.service_id == service_id, IS_DONE, Ticket.started_at.is_not(None))
        .order_by(Ticket.finished_at.desc())
        .limit(2 * settings.estimate_sample)
    ).scalars()
    durations = [
        seconds for seconds in (micros / 1_000_000 for micros in rows) if seconds >= SKIP_SECONDS
    ][: settings.estimate_sample]
    if len(durations) < max(settings.estimate_min_samples, 1):
        default = float(settings.default_service_seconds)
        return ServiceTime(mean=default, stdev=default / 2, samples=len(durations))
    durations.sort()
    if cut := int(len(durations) * _WINSOR):
        low, high = durations[cut], durations[-cut - 1]
        durations = [min(max(seconds, low), high) for seconds in durations]
    mean = statistics.fmean(durations)
    return ServiceTime(
        mean=mean,
        stdev=statistics.stdev(durations) if len(durations) > 1 else mean / 2,
        samples=len(durations),
    )


# --- who is ahead: one statement -------------------------------------------------------------

# own: a counter's link to the service estimated; other: its links to the services it calls
# before or alongside it (better or the same tier, own included).
_own, _other = counter_services.alias("own"), counter_services.alias("other")
_open_link, _open_counter = counter_services.alias("open_link"), counters.alias("open_counter")
_OPEN = CounterState.OPEN
_SERVICE_HAS_OPEN_COUNTER = exists().where(
    _open_link.c.service_id == _own.c.service_id,
    _open_counter.c.id == _open_link.c.counter_id,
    _open_counter.c.state == _OPEN,
)
# Open counters serve; while none of them serves the service, the linked ones stand in...
_SERVING = or_(counters.c.state == _OPEN, ~_SERVICE_HAS_OPEN_COUNTER)
# ...to count who is ahead, but give no time (1: an estimate; 0: none): nobody works the queue.
_SERVED = case((_SERVICE_HAS_OPEN_COUNTER, 1), else_=0)


def _serving_links(where: ColumnElement[bool], *by: ColumnElement) -> Select:
    """A row per serving counter and service it calls before or alongside the one estimated.

    Every serving counter has a row: its own link to the service joins as ``other``.
    """
    return (
        select(*by, counters.c.id, _other.c.service_id, _SERVED.label("served"))
        .select_from(
            _own.join(counters, counters.c.id == _own.c.counter_id).join(
                _other,
                and_(_other.c.counter_id == _own.c.counter_id, _other.c.tier <= _own.c.tier),
            )
        )
        .where(where, _SERVING)
    )


def _waiting(service_id: ColumnElement[int], *where: ColumnElement[bool]) -> ColumnElement[int]:
    """How many of the day's waiting tickets of ``service_id`` match ``where``.

    Each is one range of ``ix_tickets_waiting`` (service, day, priority, queue time, id),
    so the cost is bounded by the day's queue, never by history. Counting per range was 8
    times faster than joining the tickets to the links and grouping them (embedded database,
    5,000 waiting, a ticket whose counters call 6 services: 0.33 ms against 2.6 ms).
    """
    return (
        select(func.count())
        .select_from(tickets)
        .where(
            tickets.c.service_id == service_id,
            tickets.c.business_date == bindparam("day"),
            IS_WAITING,
            *where,
        )
        .scalar_subquery()
    )


def _earlier(service_id: ColumnElement[int], priority: ColumnElement[bool]) -> ColumnElement[int]:
    """Waiting tickets queued before the ticket (the id breaks a tie), as two ranges.

    A condition on the queue time or the id within one range, or a row value, took
    twice as long to count on the embedded database: it was checked on every ticket of the
    range.
    """
    queued_at = bindparam("queued_at")
    return _waiting(service_id, priority, tickets.c.queued_at < queued_at) + _waiting(
        service_id, priority, tickets.c.queued_at == queued_at, tickets.c.id < bindparam("id")
    )


def _first_at_same_tier(
    service_id: ColumnElement[int], ignores_priority: bool, priority: bool
) -> ColumnElement[int]:
    """The waiting tickets of a service that go before the ticket at the same tier."""
    if priority and not ignores_priority:
        return _earlier(service_id, tickets.c.priority == true())
    if ignores_priority:
        return _earlier(service_id, tickets.c.priority == true()) + _earlier(
            service_id, tickets.c.priority == false()
        )
    return _waiting(service_id, tickets.c.priority == true()) + _earlier(
        service_id, tickets.c.priority == false()
    )


def _ahead_of(ignores_priority: bool, priority: bool) -> Prepared:
    """Per serving link, how many tickets of its service the counter calls first.

    Those counts depend only on the service and on whether the link's tier is better
    (then every waiting ticket of it goes first, whatever its queue time), so each is
    counted once for every counter that shares it: counting per link made an office
    of 16 counters count the same ranges 16 times (embedded database, 3,000 waiting: 9 ms).
    """
    links = (
        _serving_links(_own.c.service_id == bindparam("service_id"))
        .add_columns((_other.c.tier < _own.c.tier).label("better"))
        .cte("links")
    )
    ranges = select(links.c.service_id, links.c.better).distinct().subquery("ranges")
    first = _first_at_same_tier(ranges.c.service_id, ignores_priority, priority)
    # Materialised: as a subquery, the database server pulled the counts up into the join, once
    # per link.
    counted = (
        select(
            ranges.c.service_id,
            ranges.c.better,
            case((ranges.c.better, _waiting(ranges.c.service_id)), else_=first).label("n"),
        )
        .cte("counted")
        .prefix_with("MATERIALIZED")
    )
    return Prepared(
        select(links.c.id, links.c.service_id, links.c.served, counted.c.n).join(
            counted,
            and_(counted.c.service_id == links.c.service_id, counted.c.better == links.c.better),
        )
    )


_AHEAD_OF = {
    (ignores, priority): _ahead_of(ignores, priority)
    for ignores in (False, True)
    for priority in (False, True)
}
# For the board: every service's serving links; a new ordinary ticket of the service has
# every waiting ticket of these links ahead at the same tier as at a better one.
_SERVING_LINKS = Prepared(
    _serving_links(counters.c.office_id == bindparam("office_id"), _own.c.service_id)
)


def _ignores_priority(office: OfficeFacts) -> bool:
    return isinstance(routing.policy(office.routing_policy), routing.TieredFifo)


def people_ahead(session: Session, ticket: TicketFacts) -> Ahead:
    """The waiting tickets that the counters which will serve ``ticket`` call before it."""
    office = office_by_id(session, ticket.office_id)
    statement = _AHEAD_OF[_ignores_priority(office), ticket.priority]
    rows = statement.rows(
        session,
        {
            "service_id": ticket.service_id,
            "office_id": ticket.office_id,
            "day": ticket.business_date,
            "queued_at": ticket.queued_at,
            "id": ticket.id,
        },
    )
    return _collect(rows)


def newcomers_ahead(
    session: Session, office: OfficeFacts, waiting: dict[int, int]
) -> dict[int, Ahead]:
    """Per service id, what a new ordinary ticket of it would have ahead, given the day's
    ``waiting`` tickets per service (:func:`waiting_counts`). No entry: no counter serves it.
    """
    by_service: dict[int, list[tuple]] = {}
    for service_id, counter_id, other_id, served in _SERVING_LINKS.rows(
        session, {"office_id": office.id}
    ):
        row = (counter_id, other_id, served, waiting.get(other_id, 0))
        by_service.setdefault(service_id, []).append(row)
    return {service_id: _collect(rows) for service_id, rows in by_service.items()}


def _collect(rows: list) -> Ahead:
    by_counter: dict[int, dict[int, int]] = {}
    for counter_id, service_id, _served, count in rows:
        counts = by_counter.setdefault(counter_id, {})
        if count:
            counts[service_id] = count
    return Ahead(by_counter, served=not rows or bool(rows[0][2]))


# --- how long --------------------------------------------------------------------------------


def estimate(session: Session, ahead: Ahead, settings: EngineSettings) -> Estimate | None:
    """Estimated wait behind ``ahead``; None when no counter will serve the ticket."""
    if not ahead.served or not ahead.by_counter:
        return None
    times: dict[int, ServiceTime] = {}
    for counts in ahead.by_counter.values():
        for service_id in counts.keys() - times.keys():
            times[service_id] = service_time(session, service_id, settings)
    seconds, variance = _shared_wait(ahead.by_counter, times)
    spread = _SPREAD_Z * math.sqrt(variance)
    typical = (
        statistics.fmean(t.mean for t in times.values())
        if times
        else settings.default_service_seconds
    )
    return Estimate(
        seconds=round(seconds),
        low=max(0, round(seconds - spread)),
        high=round(seconds + spread + _UNFORESEEN * typical),
    )


def _shared_wait(
    by_counter: dict[int, dict[int, int]], times: dict[int, ServiceTime]
) -> tuple[float, float]:
    """The least, over the groups of the 1, 2, 3… least loaded counters, of the union of
    their work ahead divided among them; with the variance of one counter's share."""
    mean = {service_id: timing.mean for service_id, timing in times.items()}

    def work(counts: dict[int, int]) -> float:
        return sum(n * mean[service_id] for service_id, n in counts.items())

    loads = sorted((work(counts), counter) for counter, counts in by_counter.items())
    union: dict[int, int] = {}
    best = (math.inf, 0.0)
    for size, (_load, counter) in enumerate(loads, start=1):
        for service_id, count in by_counter[counter].items():
            if count > union.get(service_id, 0):
                union[service_id] = count
        seconds = work(union) / size
        if seconds < best[0]:
            variance = sum(n * times[s].stdev ** 2 for s, n in union.items()) / size
            best = (seconds, variance)
    return best


def waiting_counts(session: Session, office_id: int, day: date) -> dict[int, int]:
    """Waiting tickets per service id for the office's business day."""
    rows = session.execute(
        select(Ticket.service_id, func.count())
        .where(IS_WAITING, Ticket.office_id == office_id, Ticket.business_date == day)
        .group_by(Ticket.service_id)
    ).all()
    return dict(rows)
