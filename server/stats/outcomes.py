"""How tickets ended: counts and rates of each outcome, and the service level.

Every ticket ends with one outcome (DESIGN, *Statistics*); tickets still open when
asked (today's) count in ``tickets`` but in no outcome, and rates are shares of the
tickets that have ended.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import Subquery

from server.models import TicketStatus

#: Outcome names as the API reports them, and the status each one is.
OUTCOMES = {
    "served": TicketStatus.DONE,
    "no_show": TicketStatus.NO_SHOW,
    "cancelled": TicketStatus.CANCELLED,
    "transferred": TicketStatus.TRANSFERRED,
    "expired": TicketStatus.EXPIRED,
}


def _count(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def outcomes(
    session: Session, rows: Subquery, keys: Sequence[str]
) -> dict[tuple[Any, ...], dict[str, Any]]:
    """Per key: ``tickets``, each outcome's count, ``rates`` and ``service_level``.

    Service level: the share of tickets called within their service's target wait,
    out of those called and those that expired never called (a citizen sent home
    unserved missed the target too); cancelled uncalled tickets are left out, since
    the citizen chose to go.
    """
    key_cols = [rows.c[k] for k in keys]
    missed_uncalled = and_(rows.c.called_at.is_(None), rows.c.status == TicketStatus.EXPIRED)
    query = select(
        *key_cols,
        func.count(),
        *(_count(rows.c.status == status) for status in OUTCOMES.values()),
        _count(rows.c.wait <= rows.c.target * 1_000_000),
        _count(rows.c.wait.is_not(None) | missed_uncalled),
    ).group_by(*key_cols)
    result = {}
    for row in session.execute(query):
        key, (tickets, *counts, on_time, judged) = tuple(row[: len(keys)]), row[len(keys) :]
        result[key] = _shown(tickets, counts, on_time, judged)
    return result


def total(groups: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The outcomes of groups taken together: every count adds up, the rates follow."""
    groups = list(groups)
    return _shown(
        sum(g["tickets"] for g in groups),
        [sum(g[name] for g in groups) for name in OUTCOMES],
        sum(g["service_level"]["on_time"] for g in groups),
        sum(g["service_level"]["judged"] for g in groups),
    )


def _shown(tickets: int, counts: Sequence[int], on_time: int, judged: int) -> dict[str, Any]:
    named = dict(zip(OUTCOMES, counts, strict=True))
    ended = sum(counts)
    return {
        "tickets": tickets,
        **named,
        "rates": {k: (round(v / ended, 4) if ended else None) for k, v in named.items()},
        "service_level": {
            "on_time": on_time,
            "judged": judged,
            "share": round(on_time / judged, 4) if judged else None,
        },
    }


def empty() -> dict[str, Any]:
    """The outcomes of a group with no tickets."""
    return {
        "tickets": 0,
        **dict.fromkeys(OUTCOMES, 0),
        "rates": dict.fromkeys(OUTCOMES),
        "service_level": {"on_time": 0, "judged": 0, "share": None},
    }
