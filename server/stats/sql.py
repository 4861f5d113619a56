"""The statistics' database tricks, in one wing: time arithmetic and percentiles per dialect.

SQLite keeps UTC times as text (``YYYY-MM-DD HH:MM:SS.ffffff``) and has no
``percentile_cont``; PostgreSQL has timestamps and the ordered-set aggregate. Both
give the same numbers: durations are exact to the microsecond before becoming
seconds, and SQLite's percentile is PostgreSQL's interpolation done by hand.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Float, Integer, case, cast, func, literal, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import ColumnElement, FunctionElement, Subquery
from sqlalchemy.types import BigInteger

#: The percentiles reported, by name.
PERCENTILES = (("median", 0.5), ("p90", 0.9))


class duration(FunctionElement[float]):
    """Seconds from the first argument to the second, exact to the microsecond."""

    type = Float()
    inherit_cache = True


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


@compiles(duration, "postgresql")
def _pg_duration(element: duration, compiler: Any, **kw: Any) -> str:
    start, end = (compiler.process(a, **kw) for a in element.clauses)
    return f"CAST(EXTRACT(EPOCH FROM ({end} - {start})) AS DOUBLE PRECISION)"


def _sqlite_micros(value: str) -> str:
    return (
        f"(CAST(strftime('%s', {value}) AS INTEGER) * 1000000"
        f" + CAST(substr({value}, 21, 6) AS INTEGER))"
    )


@compiles(duration, "sqlite")
def _sqlite_duration(element: duration, compiler: Any, **kw: Any) -> str:
    start, end = (compiler.process(a, **kw) for a in element.clauses)
    return f"(({_sqlite_micros(end)} - {_sqlite_micros(start)}) / 1000000.0)"


@compiles(epoch, "postgresql")
def _pg_epoch(element: epoch, compiler: Any, **kw: Any) -> str:
    return f"CAST(FLOOR(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)})) AS BIGINT)"


@compiles(epoch, "sqlite")
def _sqlite_epoch(element: epoch, compiler: Any, **kw: Any) -> str:
    return f"CAST(strftime('%s', {compiler.process(element.clauses, **kw)}) AS INTEGER)"


@compiles(epoch)
@compiles(duration)
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
    session: Session, rows: Subquery, keys: Sequence[str], measure: str
) -> dict[tuple[Any, ...], dict[str, float | int | None]]:
    """Count, mean, median and 90th percentile of ``rows.<measure>`` per key tuple.

    Rows where the measure is NULL were not measured and are left out.
    """
    key_cols = [rows.c[k] for k in keys]
    value = rows.c[measure]
    if session.get_bind().dialect.name == "postgresql":
        query = select(
            *key_cols,
            func.count(value),
            func.avg(value),
            *(func.percentile_cont(p).within_group(value) for _, p in PERCENTILES),
        ).where(value.is_not(None))
        found = session.execute(query.group_by(*key_cols)).all()
        return {
            tuple(row[: len(keys)]): _summary(row[len(keys)], row[len(keys) + 1], row[-2:])
            for row in found
        }
    return _sqlite_summaries(session, rows, keys, measure)


def _sqlite_summaries(
    session: Session, rows: Subquery, keys: Sequence[str], measure: str
) -> dict[tuple[Any, ...], dict[str, float | int | None]]:
    """PostgreSQL's percentile_cont by hand: rank the values, interpolate between two ranks."""
    key_cols = [rows.c[k] for k in keys]
    value = rows.c[measure]
    ranked = (
        select(
            *key_cols,
            value.label("v"),
            (func.row_number().over(partition_by=key_cols or None, order_by=value) - 1).label("i"),
            func.count().over(partition_by=key_cols or None).label("n"),
        )
        .where(value.is_not(None))
        .subquery()
    )
    picks = []
    for _, p in PERCENTILES:
        position = literal(p, Float) * (ranked.c.n - 1)
        floor = cast(position, Integer)
        picks += [
            func.max(case((ranked.c.i == floor, ranked.c.v))),
            func.max(case((ranked.c.i == floor + 1, ranked.c.v))),
            func.max(position - floor),
        ]
    group = [ranked.c[k] for k in keys]
    query = select(*group, func.count(), func.avg(ranked.c.v), *picks).group_by(*group)
    result = {}
    for row in session.execute(query):
        values = row[len(keys) + 2 :]
        percentiles = [_interpolate(*values[i : i + 3]) for i in range(0, 3 * len(PERCENTILES), 3)]
        result[tuple(row[: len(keys)])] = _summary(row[len(keys)], row[len(keys) + 1], percentiles)
    return result


def _interpolate(low: float | None, high: float | None, fraction: float | None) -> float | None:
    if low is None:
        return None
    return low if not fraction or high is None else low + (high - low) * fraction


def _summary(count: int, mean: Any, percentiles: Sequence[Any]) -> dict[str, float | int | None]:
    """Seconds rounded to the millisecond, so both databases' float sums agree."""
    named = dict(zip((name for name, _ in PERCENTILES), percentiles, strict=True))
    shown = {"mean": mean, **named}
    return {"count": count} | {
        k: (round(float(v), 3) if v is not None and count else None) for k, v in shown.items()
    }
