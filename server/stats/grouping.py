"""What a statistic is computed over (offices and business dates) and how rows are keyed.

One ticket row per ticket of the range, with its measured times and its group keys:
every KPI module aggregates this same selection, so their groups line up.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, case, literal, select
from sqlalchemy.sql.expression import Subquery

from server.models import Service, Ticket, TicketStatus
from server.stats.periods import DateRange, offsets
from server.stats.sql import epoch


@dataclass(frozen=True)
class OfficeInScope:
    id: int
    code: str
    name_fa: str
    name_en: str
    timezone: str


@dataclass(frozen=True)
class Scope:
    """The offices and business dates a statistic covers."""

    offices: Sequence[OfficeInScope]
    dates: DateRange

    @property
    def office_ids(self) -> list[int]:
        return [o.id for o in self.offices]

    def by_timezone(self) -> dict[str, list[int]]:
        """Office ids per time zone (a province usually has one)."""
        zones: dict[str, list[int]] = {}
        for office in self.offices:
            zones.setdefault(office.timezone, []).append(office.id)
        return zones

    def utc_bounds(self) -> tuple[datetime, datetime]:
        """From the earliest local midnight to the latest, over the offices' time zones."""
        bounds = [self.dates.utc_bounds(zone) for zone in self.by_timezone()]
        return min(b[0] for b in bounds), max(b[1] for b in bounds)


#: The groupings, each the key columns it adds to a ticket row (besides ``by=`` none).
GROUPINGS = ("office", "service", "counter", "clerk", "day", "hour", "weekday_hour")

_tickets = Ticket.__table__
_services = Service.__table__


def _local_seconds(scope: Scope, utc_seconds: ColumnElement[int]) -> ColumnElement[int]:
    """Local wall-clock seconds since 1970 of a UTC instant, per office time zone."""
    per_zone = []
    for zone, ids in scope.by_timezone().items():
        spans = offsets(zone, *scope.dates.utc_bounds(zone))
        shift: ColumnElement[int] = literal(spans[-1][1])
        if len(spans) > 1:
            shift = case(
                *(
                    (utc_seconds < spans[i + 1][0], offset)
                    for i, (_, offset) in enumerate(spans[:-1])
                ),
                else_=spans[-1][1],
            )
        per_zone.append((ids, shift))
    if len(per_zone) == 1:
        return utc_seconds + per_zone[0][1]
    return utc_seconds + case(
        *((_tickets.c.office_id.in_(ids), shift) for ids, shift in per_zone[:-1]),
        else_=per_zone[-1][1],
    )


def _keys(scope: Scope, by: str | None) -> list[ColumnElement[Any]]:
    local = _local_seconds(scope, epoch(_tickets.c.issued_at))
    hour = ((local // 3600) % 24).label("k_hour")
    keys: dict[str | None, list[ColumnElement[Any]]] = {
        None: [],
        "office": [_tickets.c.office_id.label("k_office")],
        "service": [_tickets.c.service_id.label("k_service")],
        "counter": [_tickets.c.counter_id.label("k_counter")],
        "clerk": [_tickets.c.clerk_id.label("k_clerk")],
        "day": [_tickets.c.business_date.label("k_day")],
        "hour": [hour],
        # 1970-01-01 was a Thursday: Monday = 0, as Python counts.
        "weekday_hour": [((local // 86400 + 3) % 7).label("k_weekday"), hour],
    }
    return keys[by]


def key_names(by: str | None) -> list[str]:
    """The key columns of a grouping, in order."""
    names = {None: [], "weekday_hour": ["weekday", "hour"]}.get(by, [by])  # type: ignore[arg-type]
    return [f"k_{name}" for name in names]


def ticket_rows(scope: Scope, by: str | None) -> Subquery:
    """Each ticket of the scope with its keys, outcome, service target (seconds) and
    measured times (microseconds).

    wait: issued → called. ``issued_at`` is the issue time, and for a ticket made by a
    transfer the transfer time (its ``queued_at`` keeps the old place in the queue).
    service: started → done, less the time the ticket was parked.
    """
    t = _tickets.c
    return (
        select(
            *_keys(scope, by),
            t.status,
            t.called_at,
            _services.c.target_wait_seconds.label("target"),
            t.wait_us.label("wait"),
            t.walk_up_us.label("walk_up"),
            case((t.status == TicketStatus.DONE, t.service_us - t.parked_us)).label("service"),
        )
        .join(_services, _services.c.id == t.service_id)
        .where(
            t.office_id.in_(scope.office_ids),
            t.business_date.between(scope.dates.first, scope.dates.last),
        )
        .subquery("ticket_rows")
    )
