"""Wait, walk-up and service times: mean, median and 90th percentile in seconds."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import Subquery

from server.stats.sql import summaries

#: queued → called, called → started, started → done (DESIGN, *Statistics*).
MEASURES = ("wait", "walk_up", "service")


def times(
    session: Session, rows: Subquery, keys: Sequence[str]
) -> dict[tuple[Any, ...], dict[str, dict[str, Any]]]:
    """Per key, each measure's ``{"count", "mean", "median", "p90"}`` (None: nothing measured),
    and over all rows under the key ``()``."""
    return summaries(session, rows, keys, MEASURES, overall=True)


def empty() -> dict[str, dict[str, Any]]:
    """The times of a group where nothing was measured."""
    return {m: {"count": 0, "mean": None, "median": None, "p90": None} for m in MEASURES}
