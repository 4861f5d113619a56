"""Prebuilt Core statements run straight on the driver's cursor, for the hot paths.

Even a compiled, cached Core statement costs 40–120 µs of SQLAlchemy's Python per
execution, several times what SQLite takes to run it, and *issue* and *call next*
run several per request. A :class:`Prepared` statement is compiled once per
dialect and set of parameters by SQLAlchemy itself, bind and result type
processors included, then sent to the connection's DBAPI cursor: the same SQL
and the same conversions, without the machinery in between. It runs inside the
session's transaction (``session.connection()``), so the connection hooks (SQLite's
``BEGIN IMMEDIATE`` and writer lock) and the commit hooks apply as before, and a
driver error is raised as SQLAlchemy's own (``IntegrityError`` and so on).
SQLAlchemy's statement events (``before_cursor_execute``) do not see them.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

import psycopg
from sqlalchemy import exc
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable

from server.database import connection_lost
from server.engine import cache
from server.engine.sql import sqlalchemy_internals as internals


@dataclass(frozen=True)
class _Slot:
    """One placeholder: its name in the SQL, the caller's key, the statement's own value."""

    name: str
    key: str
    fixed: Any
    required: bool
    process: Callable[[Any], Any] | None


@dataclass(frozen=True)
class _Plan:
    sql: str
    #: the placeholders, in the SQL's order for positional drivers (SQLite)
    slots: tuple[_Slot, ...]
    positional: bool
    results: tuple[Callable[[Any], Any] | None, ...]
    #: rows answer to their column names, like SQLAlchemy's
    row: type


class Prepared:
    """A statement with bound parameters, run on the session's connection's cursor."""

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        self._plans: dict[tuple[str, frozenset[str]], _Plan] = cache.keep(
            "prepared plans", plans=True
        )

    def rows(self, session: Session, params: dict[str, Any]) -> list[Any]:
        """Every row the statement returns, converted as SQLAlchemy would."""
        if session.autoflush:
            session.flush()  # what Session.execute does first; nearly free when clean
        connection = session.connection()
        dialect = connection.dialect
        plan = self._plan(dialect, params)
        cursor = connection.connection.dbapi_connection.cursor()
        values = _values(plan, params)
        try:
            cursor.execute(plan.sql, values)
            fetched = cursor.fetchall() if plan.results else []
        except dialect.loaded_dbapi.Error as error:
            _raise(connection, dialect, plan.sql, values, cursor, error)
        finally:
            cursor.close()
        return _converted(plan, fetched)

    def first(self, session: Session, params: dict[str, Any]) -> Any:
        """The first row, or None."""
        found = self.rows(session, params)
        return found[0] if found else None

    def scalar(self, session: Session, params: dict[str, Any]) -> Any:
        """The first column of the first row, or None."""
        found = self.first(session, params)
        return found[0] if found else None

    def rows_then_commit(
        self, session: Session, params: Sequence[dict[str, Any]]
    ) -> list[list[Any]]:
        """Run the statement once per parameter set, then commit, in one round trip
        (:func:`then_commit`)."""
        return then_commit(session, [(self, each) for each in params])

    def many(self, session: Session, rows: Sequence[dict[str, Any]]) -> None:
        """Run the statement (one that returns nothing) once per parameter set."""
        if session.autoflush:
            session.flush()
        connection = session.connection()
        dialect = connection.dialect
        plan = self._plan(dialect, rows[0])
        cursor = connection.connection.dbapi_connection.cursor()
        values = [_values(plan, row) for row in rows]
        try:
            cursor.executemany(plan.sql, values)
        except dialect.loaded_dbapi.Error as error:
            _raise(connection, dialect, plan.sql, values, cursor, error)
        finally:
            cursor.close()

    def _plan(self, dialect: Dialect, params: dict[str, Any]) -> _Plan:
        key = (dialect.name, frozenset(params))
        plan = self._plans.get(key)
        if plan is None:
            # An INSERT names only the columns given, as SQLAlchemy's own execution does.
            compiled = self.statement.compile(dialect=dialect, column_keys=sorted(params))
            positional = dialect.paramstyle in ("qmark", "numeric", "format")
            processors = internals.bind_processors(compiled)
            names = compiled.positiontup if positional else compiled.bind_names.values()
            binds = {compiled.bind_names[b]: b for b in compiled.bind_names}
            columns = internals.result_columns(compiled)
            plan = self._plans[key] = _Plan(
                sql=compiled.string,
                slots=tuple(
                    _Slot(n, binds[n].key, binds[n].value, binds[n].required, processors.get(n))
                    for n in names
                ),
                positional=positional,
                results=tuple(internals.result_processor(kind, dialect) for _, kind in columns),
                row=namedtuple("Row", [name for name, _ in columns], rename=True),
            )
        return plan


def _converted(plan: _Plan, fetched: Sequence[Any]) -> list[Any]:
    """Rows as SQLAlchemy would give them: result processors applied, columns by name."""
    make = plan.row._make
    if not any(plan.results):
        return [make(row) for row in fetched]
    return [
        make(v if p is None else p(v) for p, v in zip(plan.results, row, strict=True))
        for row in fetched
    ]


def _values(plan: _Plan, params: dict[str, Any]) -> Sequence[Any] | dict[str, Any]:
    """The caller's values, or the statement's own (a status an UPDATE sets), converted."""
    values = []
    for slot in plan.slots:
        if slot.key in params:
            value = params[slot.key]
        elif slot.required:
            raise exc.ArgumentError(f"a value is required for parameter {slot.key!r}")
        else:
            value = slot.fixed
        if value is not None and slot.process is not None:
            value = slot.process(value)
        values.append(value)
    if plan.positional:
        return tuple(values)
    return {slot.name: value for slot, value in zip(plan.slots, values, strict=True)}


def _raise(
    connection: Any,
    dialect: Dialect,
    sql: str,
    values: Any,
    cursor: Any,
    error: Exception,
) -> NoReturn:
    """Raise the driver's error as SQLAlchemy would, dropping a connection that died."""
    dead = connection_lost(dialect, error, connection.connection.dbapi_connection, cursor)
    if dead:
        connection.invalidate(error)
    raise exc.DBAPIError.instance(
        sql, values, error, dialect.loaded_dbapi.Error, connection_invalidated=dead, dialect=dialect
    ) from error


def then_commit(
    session: Session, runs: Sequence[tuple[Prepared, dict[str, Any]]]
) -> list[list[Any]]:
    """Run each statement with its parameters, in order, then commit, in one round trip.

    PostgreSQL (psycopg) only. For statements that follow a lock every other
    transaction of its kind waits for: sent with the COMMIT, the lock is held for as
    long as the server takes, not until this process comes back for the COMMIT (under
    load, several times longer). The statements and the COMMIT go as one query string,
    with values bound by psycopg on this side (a string of several statements takes no
    server-side parameters). The session's own commit then finds nothing left to do.
    Rows come back as from :meth:`Prepared.rows`, one list per statement.
    """
    connection = session.connection()
    dialect = connection.dialect
    dbapi = connection.connection.dbapi_connection
    plans = [prepared._plan(dialect, each) for prepared, each in runs]
    cursor = psycopg.ClientCursor(dbapi)
    try:
        sql = "; ".join(
            cursor.mogrify(plan.sql, _values(plan, each))
            for plan, (_, each) in zip(plans, runs, strict=True)
        )
        cursor.execute(sql + "; COMMIT")
        found = []
        for plan in plans:
            found.append(_converted(plan, cursor.fetchall() if plan.results else []))
            cursor.nextset()
        return found
    except dialect.loaded_dbapi.Error as error:
        _raise(connection, dialect, plans[0].sql, [each for _, each in runs], cursor, error)
    finally:
        cursor.close()
