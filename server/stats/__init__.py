"""Managers' statistics: DESIGN's KPIs computed in the database from tickets and events.

Plain Python over SQLAlchemy (no Flask), like the engine. ``report`` is the one entry:
totals over a scope (offices × business dates) or groups by one key.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from server.stats import counters, outcomes, times
from server.stats.grouping import GROUPINGS, OfficeInScope, Scope, key_names, ticket_rows
from server.stats.labels import labeller, sort_key
from server.stats.periods import EARLIEST, LATEST, MAX_DAYS, DateRange, jalali_date

__all__ = [
    "EARLIEST",
    "GROUPINGS",
    "LATEST",
    "MAX_DAYS",
    "DateRange",
    "OfficeInScope",
    "Scope",
    "report",
]


def report(session: Session, scope: Scope, by: str | None, now: datetime) -> dict[str, Any]:
    """The statistics of ``scope``: ``{"range", "totals"}`` and, grouped, ``"groups"``.

    Each totals or group object holds the outcome counts and rates, service level,
    ``wait``/``walk_up``/``service`` summaries in seconds, and (totals and office,
    counter, clerk groups) counter time with utilisation.
    """
    if by is None:
        return {"range": _range(scope.dates), "totals": _kpis(session, scope, None, now)[()]}
    label = labeller(session, scope, by)
    found = _kpis(session, scope, by, now)
    totals = found.pop(())
    groups = [{"key": label(key)} | kpis for key, kpis in found.items()]
    return {
        "range": _range(scope.dates),
        "totals": totals,
        "groups": sorted(groups, key=lambda g: sort_key(by, g["key"])),
    }


def _kpis(
    session: Session, scope: Scope, by: str | None, now: datetime
) -> dict[tuple[Any, ...], dict[str, Any]]:
    """Each group's KPIs and, under the key ``()``, the totals', from one pass where it can:
    counts and counter time add up over groups (every ticket and stretch is in one),
    and the times' overall percentiles come with the groups' (``summaries``)."""
    keys = key_names(by)
    rows = ticket_rows(scope, by)
    found_outcomes = outcomes.outcomes(session, rows, keys)
    found_times = times.times(session, rows, keys)
    # Counter time is not split by day or hour: then only the totals carry it.
    grouped_time = by in counters.COUNTER_GROUPINGS
    found_time = counters.counter_time(session, scope, by if grouped_time else None, now)
    every = set(found_outcomes) | (set(found_time) if grouped_time else set()) if by else set()
    if by:
        found_outcomes[()] = outcomes.total(found_outcomes.values())
        if grouped_time:
            found_time[()] = sum(found_time.values(), counters.Time())
    result = {}
    for key in every | {()}:
        result[key] = (found_outcomes.get(key) or outcomes.empty()) | (
            found_times.get(key) or times.empty()
        )
        if grouped_time or key == ():
            result[key]["counter_time"] = found_time.get(key, counters.Time()).shown()
    return result


def _range(dates: DateRange) -> dict[str, Any]:
    return {
        "from": dates.first.isoformat(),
        "to": dates.last.isoformat(),
        "from_jalali": jalali_date(dates.first),
        "to_jalali": jalali_date(dates.last),
        "days": dates.days,
    }
