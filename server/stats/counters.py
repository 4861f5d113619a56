"""Counter and clerk time: open, serving (busy), idle and paused (by reason), utilisation.

Counters' state changes are events (``counter`` events: ``open``, ``open:takeover:…``,
``paused:<reason>``, ``closed``), each by the clerk who then holds the counter. Each
event starts a stretch that lasts until the counter's next event, clipped to the
range; a stretch still running ends now. A counter is busy while it holds a ticket
(called until finished) *and* is open: a pause in the middle of a service is pause,
not service, and a parked ticket is not held while it waits to be resumed.
Utilisation is busy ÷ open time; idle is open time not busy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, case, func, literal, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import Subquery

from server.database import UTCDateTime, micros_between
from server.models import EventType, Ticket, TicketEvent, TicketStatus
from server.stats.grouping import Scope
from server.stats.sql import day_before, earlier, later

#: Groupings that counter time is reported for (time is not split by day or hour).
COUNTER_GROUPINGS = (None, "office", "counter", "clerk")

#: A stretch begun longer than this before the range is not looked for (bounds the scan).
LOOK_BACK = timedelta(days=1)

_events, _tickets = TicketEvent.__table__, Ticket.__table__


def counter_time(
    session: Session, scope: Scope, by: str | None, now: datetime
) -> dict[tuple[Any, ...], Time]:
    """Per key (none, office, counter or clerk): open, busy and pause seconds."""
    totals: dict[tuple[Any, ...], Time] = {}
    for zone, ids in scope.by_timezone().items():
        start, end = scope.dates.utc_bounds(zone)
        for key, state, reason, seconds in _stretch_sums(session, ids, by, start, end, now):
            found = totals.setdefault(key, Time())
            if state == "busy":
                found.busy += seconds
            elif state == "open":
                found.open += seconds
            else:
                found.pause[reason] = found.pause.get(reason, 0.0) + seconds
    return totals


@dataclass
class Time:
    """A counter's (or clerk's, office's) seconds open, busy and paused by reason."""

    open: float = 0.0
    busy: float = 0.0
    pause: dict[str, float] = field(default_factory=dict)

    def __add__(self, other: Time) -> Time:
        pause = dict(self.pause)
        for reason, seconds in other.pause.items():
            pause[reason] = pause.get(reason, 0.0) + seconds
        return Time(self.open + other.open, self.busy + other.busy, pause)

    def shown(self) -> dict[str, Any]:
        """As the API reports it: rounded seconds, idle time and utilisation."""
        opened, busy = round(self.open, 3), round(self.busy, 3)
        return {
            "open_seconds": opened,
            "busy_seconds": busy,
            "idle_seconds": round(max(opened - busy, 0.0), 3),
            "pause_seconds": {k: round(v, 3) for k, v in sorted(self.pause.items())},
            "utilisation": round(busy / opened, 4) if opened else None,
        }


def stretches_of(
    session: Session, office_ids: Sequence[int], start: datetime, end: datetime, now: datetime
) -> Subquery:
    """The counters' open and paused stretches (``s`` to ``e``) clipped to ``start``–``end``.

    Columns: office_id, counter_id, clerk_id, state (``open``/``paused``), reason, s, e.
    A stretch still running ends ``now``.
    """
    e = _events.c
    state = case(
        (e.detail.like("open%"), "open"), (e.detail.like("paused%"), "paused"), else_="closed"
    )
    stop = bindparam("stop", min(end, now), type_=UTCDateTime)
    begin = bindparam("begin", start, type_=UTCDateTime)
    changes = (
        select(
            e.office_id,
            e.counter_id,
            e.actor_id.label("clerk_id"),
            state.label("state"),
            case((e.detail.like("paused:%"), func.substr(e.detail, 8))).label("reason"),
            e.at,
            func.lead(e.at).over(partition_by=e.counter_id, order_by=(e.at, e.id)).label("next_at"),
        )
        .where(
            e.office_id.in_(office_ids),
            e.type == EventType.COUNTER,
            e.at >= start - LOOK_BACK,
            e.at < end,
        )
        .subquery("changes")
    )
    c = changes.c
    return (
        select(
            c.office_id,
            c.counter_id,
            c.clerk_id,
            c.state,
            c.reason,
            later(session, c.at, begin).label("s"),
            earlier(session, func.coalesce(c.next_at, stop), stop).label("e"),
        )
        .where(c.state != "closed")
        .subquery("stretches")
    )


def _stretch_sums(
    session: Session,
    office_ids: Sequence[int],
    by: str | None,
    start: datetime,
    end: datetime,
    now: datetime,
) -> list[tuple[tuple[Any, ...], str, str | None, float]]:
    stretches = stretches_of(session, office_ids, start, end, now)
    stop = bindparam("stop", min(end, now), type_=UTCDateTime)
    s = stretches.c
    key_col = {None: None, "office": s.office_id, "counter": s.counter_id, "clerk": s.clerk_id}[by]
    keys = [key_col] if key_col is not None else []
    sums = session.execute(
        select(*keys, s.state, s.reason, func.sum(micros_between(s.s, s.e)))
        .where(s.e > s.s)
        .group_by(*keys, s.state, s.reason)
    ).all()
    t = _tickets.c
    held_until = func.coalesce(t.finished_at, stop)
    # Most tickets lie inside one stretch: their stored time held needs no clipping.
    inside = and_(t.called_at >= s.s, t.finished_at <= s.e)
    clipped = micros_between(later(session, t.called_at, s.s), earlier(session, held_until, s.e))
    busy = session.execute(
        select(
            *keys,
            literal("busy"),
            literal(None),
            func.sum(case((inside, t.held_us), else_=clipped)),
        )
        .join(
            _tickets,
            # One range of ix_tickets_counter_called per stretch: a ticket held in it was
            # called within a day before it began (as LOOK_BACK assumes of stretches).
            and_(
                t.counter_id == s.counter_id,
                t.called_at >= day_before(s.s),
                t.called_at < s.e,
                held_until > s.s,
                t.status != TicketStatus.PARKED,
            ),
        )
        .where(s.state == "open", s.e > s.s)
        .group_by(*keys)
    ).all()
    set_aside = _parked_in_open_stretches(session, stretches, keys, office_ids, start, end)
    return [
        (tuple(row[: len(keys)]), row[len(keys)], row[len(keys) + 1], int(row[-1] or 0) / 1e6)
        for row in (*sums, *busy, *set_aside)
    ]


def _parked_in_open_stretches(
    session: Session,
    stretches: Subquery,
    keys: list[Any],
    office_ids: Sequence[int],
    start: datetime,
    end: datetime,
) -> Sequence[Any]:
    """Negative busy time: a resumed ticket was held from call to finish, but while it was
    parked its counter served others (counted once, as theirs). Parked tickets are few,
    so their trails are read by ticket."""
    e, t, s = _events.c, _tickets.c, stretches.c
    parked_ids = select(e.ticket_id).where(
        e.office_id.in_(office_ids),
        e.type == EventType.PARKED,
        e.at >= start - LOOK_BACK,
        e.at < end,
    )
    trail = (
        select(
            e.ticket_id,
            e.type,
            e.at,
            func.lead(e.at).over(partition_by=e.ticket_id, order_by=(e.at, e.id)).label("next_at"),
        )
        .where(e.ticket_id.in_(parked_ids))
        .subquery("trail")
    )
    p = trail.c
    overlap = micros_between(later(session, p.at, s.s), earlier(session, p.next_at, s.e))
    return session.execute(
        select(*keys, literal("busy"), literal(None), -func.sum(overlap))
        .join(_tickets, t.id == p.ticket_id)
        .join(
            stretches,
            and_(t.counter_id == s.counter_id, p.at < s.e, p.next_at > s.s),
        )
        .where(
            p.type == EventType.PARKED,
            p.next_at.is_not(None),
            t.status != TicketStatus.PARKED,
            s.state == "open",
            s.e > s.s,
        )
        .group_by(*keys)
    ).all()
