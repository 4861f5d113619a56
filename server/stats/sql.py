"""The statistics' database tricks, in one wing: time arithmetic and percentiles per dialect.

SQLite keeps UTC times as text (``YYYY-MM-DD HH:MM:SS.ffffff``) and has no
``percentile_cont``; PostgreSQL has timestamps and the ordered-set aggregate. Both
give the same numbers: durations are whole microseconds (the tickets' stored
``*_us`` columns, ``micros_between`` elsewhere) before becoming seconds, and
SQLite's percentile is PostgreSQL's interpolation, in an aggregate of our own.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from itertools import chain
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import ColumnElement, FunctionElement, Subquery
from sqlalchemy.types import BigInteger

#: The percentiles reported, by name.
PERCENTILES = (("median", 0.5), ("p90", 0.9))


class epoch(FunctionElement[int]):
    """Whole UTC seconds since 1970 (floored)."""

    type = BigInteger()
    inherit_cache = True


class day_before(FunctionElement[Any]):
    """The time one day before the argument (a lower bound an index can use)."""

    inherit_cache = True


@compiles(day_before, "postgresql")
def _pg_day_before(element: day_before, compiler: Any, **kw: Any) -> str:
    return f"({compiler.process(element.clauses, **kw)} - INTERVAL '1 day')"


@compiles(day_before, "sqlite")
def _sqlite_day_before(element: day_before, compiler: Any, **kw: Any) -> str:
    # Text in the stored form's order (milliseconds are enough for a bound a day wide).
    return f"strftime('%Y-%m-%d %H:%M:%f', {compiler.process(element.clauses, **kw)}, '-1 day')"


@compiles(epoch, "postgresql")
def _pg_epoch(element: epoch, compiler: Any, **kw: Any) -> str:
    return f"CAST(FLOOR(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)})) AS BIGINT)"


@compiles(epoch, "sqlite")
def _sqlite_epoch(element: epoch, compiler: Any, **kw: Any) -> str:
    return f"CAST(strftime('%s', {compiler.process(element.clauses, **kw)}) AS INTEGER)"


@compiles(epoch)
@compiles(day_before)
def _unsupported(element: Any, compiler: Any, **kw: Any) -> str:
    raise NotImplementedError(f"statistics need SQLite or PostgreSQL, not {compiler.dialect.name}")


def later(session: Session, a: ColumnElement[Any], b: ColumnElement[Any]) -> ColumnElement[Any]:
    """The later of two times (``max`` is SQLite's scalar ``greatest``)."""
    name = func.max if session.get_bind().dialect.name == "sqlite" else func.greatest
    return name(a, b)


def earlier(session: Session, a: ColumnElement[Any], b: ColumnElement[Any]) -> ColumnElement[Any]:
    """The earlier of two times."""
    name = func.min if session.get_bind().dialect.name == "sqlite" else func.least
    return name(a, b)


def summaries(
    session: Session,
    rows: Subquery,
    keys: Sequence[str],
    measures: Sequence[str],
    overall: bool = False,
) -> dict[tuple[Any, ...], dict[str, dict[str, float | int | None]]]:
    """Per key tuple, each measure's count, mean, median and 90th percentile in seconds;
    with ``overall``, also over all rows, under the key ``()``.

    Measures are microseconds; NULL means not measured and is left out. One pass over
    the rows for every measure. On SQLite the overall summaries come from the same pass
    (the groups' sorted values, merged); PostgreSQL makes a second, cheaper pass.
    """
    sqlite = session.get_bind().dialect.name == "sqlite"
    sink: list[tuple[int, list[int]]] | None = [] if sqlite and overall and keys else None
    result = _summaries(session, rows, keys, measures, sink)
    if sink is not None:
        result[()] = {
            measure: _merged([values for m, values in sink if m == i])
            for i, measure in enumerate(measures)
        }
    elif overall and keys:
        result |= _summaries(session, rows, (), measures, None)
    return result


def _summaries(
    session: Session,
    rows: Subquery,
    keys: Sequence[str],
    measures: Sequence[str],
    sink: list[tuple[int, list[int]]] | None,
) -> dict[tuple[Any, ...], dict[str, dict[str, float | int | None]]]:
    key_cols = [rows.c[k] for k in keys]
    sqlite = session.get_bind().dialect.name == "sqlite"
    if sqlite:
        _install_percentiles(session, sink)
    columns = []
    for i, measure in enumerate(measures):
        value = rows.c[measure]
        if sqlite:
            ranks: list[Any] = [func.nobat_percentiles(value, i)]
        else:
            ranks = [func.percentile_cont(p).within_group(value) for _, p in PERCENTILES]
        columns += [func.count(value), func.avg(value), *ranks]
    found = session.execute(select(*key_cols, *columns).group_by(*key_cols)).all()
    width = 2 + (1 if sqlite else len(PERCENTILES))
    result = {}
    for row in found:
        summaries = {}
        for i, measure in enumerate(measures):
            count, mean, *ranks = row[len(keys) + i * width : len(keys) + (i + 1) * width]
            summaries[measure] = _summary(count, mean, _from_sqlite(ranks[0]) if sqlite else ranks)
        result[tuple(row[: len(keys)])] = summaries
    return result


class _Percentiles:
    """SQLite's aggregate ``nobat_percentiles(v, measure)``: PostgreSQL's percentile_cont of
    each of PERCENTILES, as a JSON list.

    SQLite has no ordered-set aggregate, and ranking with window functions sorts the
    rows once per measure (1.4 s per measure over a province-month); an aggregate
    keeps one pass for all measures and sorts only each group's own values. With a
    ``sink``, each group also leaves its sorted values there, by measure, for the
    summaries over all groups: SQLite has no grouping sets, and a second pass cost
    as much as the first.
    """

    sink: list[tuple[int, list[int]]] | None = None

    def __init__(self) -> None:
        self.values: list[int] = []
        self.measure = 0

    def step(self, value: int | None, measure: int) -> None:
        if value is not None:
            self.values.append(value)
        self.measure = measure

    def finalize(self) -> str:
        values = sorted(self.values)
        if self.sink is not None:
            self.sink.append((self.measure, values))
        return json.dumps([_percentile_cont(values, p) for _, p in PERCENTILES])


def _merged(parts: Sequence[list[int]]) -> dict[str, float | int | None]:
    """The summary of the union of the groups' sorted values (their runs make sorting cheap)."""
    values = sorted(chain.from_iterable(parts))
    mean = sum(values) / len(values) if values else None
    return _summary(len(values), mean, [_percentile_cont(values, p) for _, p in PERCENTILES])


def _percentile_cont(ordered: Sequence[float], fraction: float) -> float | None:
    """The value at ``fraction`` of the way through, interpolated between two ranks."""
    if not ordered:
        return None
    position = fraction * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _from_sqlite(found: str | None) -> list[float | None]:
    """The aggregate's JSON list; SQLite gives NULL for a group of no rows (totals of none)."""
    return json.loads(found) if found is not None else [None] * len(PERCENTILES)


def _install_percentiles(session: Session, sink: list[tuple[int, list[int]]] | None) -> None:
    """Make ``nobat_percentiles`` known to the session's SQLite connection (cheap to repeat),
    leaving each group's values in ``sink`` if given."""
    connection = session.connection().connection.driver_connection
    aggregate = (
        type("_Collecting", (_Percentiles,), {"sink": sink}) if sink is not None else _Percentiles
    )
    connection.create_aggregate("nobat_percentiles", 2, aggregate)


def _summary(count: int, mean: Any, percentiles: Sequence[Any]) -> dict[str, float | int | None]:
    """Microseconds shown as seconds rounded to the millisecond, as both databases agree."""
    named = dict(zip((name for name, _ in PERCENTILES), percentiles, strict=True))
    shown = {"mean": mean, **named}
    return {"count": count} | {
        k: (round(float(v) / 1_000_000, 3) if v is not None and count else None)
        for k, v in shown.items()
    }
