"""Engine set-up shared by the web app, the CLI, tests and benchmarks (no Flask here).

SQLite and PostgreSQL get the connection behaviour the queue engine relies on:
on SQLite, WAL and ``BEGIN IMMEDIATE`` so that a transaction takes the write lock
before it reads what it will change (two *call next* never see the same ticket);
on PostgreSQL, row locks with ``FOR UPDATE SKIP LOCKED`` in the routing query.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Engine, create_engine, event
from sqlalchemy.engine import Dialect, ExceptionContext, make_url
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.pool import StaticPool
from sqlalchemy.sql.expression import FunctionElement
from sqlalchemy.types import TypeDecorator

SQLITE_BUSY_TIMEOUT_MS = 15_000

#: Execution option of a connection that only reads (statistics): on SQLite it begins a
#: deferred transaction, a snapshot of the WAL, instead of taking the write lock, so a
#: long report does not hold up the kiosks and counters.
READ_ONLY = "nobat.read_only"


class Base(DeclarativeBase):
    """Declarative base of every Nobat model."""


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime on every database (SQLite has no time zones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous; pass an aware datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class micros_between(FunctionElement[int]):
    """Whole microseconds from the first time to the second: exact on both databases.

    SQLite holds a ``UTCDateTime`` as text (``YYYY-MM-DD HH:MM:SS.ffffff``), so its
    arithmetic parses that form; it is deterministic, so it may define a stored column.
    """

    type = BigInteger()
    inherit_cache = True


@compiles(micros_between, "postgresql")
def _pg_micros_between(element: micros_between, compiler: Any, **kw: Any) -> str:
    start, end = (compiler.process(a, **kw) for a in element.clauses)
    return f"CAST(EXTRACT(EPOCH FROM ({end} - {start})) * 1000000 AS BIGINT)"


@compiles(micros_between, "sqlite")
def _sqlite_micros_between(element: micros_between, compiler: Any, **kw: Any) -> str:
    start, end = (compiler.process(a, **kw) for a in element.clauses)
    return f"({_sqlite_micros(end)} - {_sqlite_micros(start)})"


def _sqlite_micros(value: str) -> str:
    return (
        f"(CAST(strftime('%s', {value}) AS INTEGER) * 1000000"
        f" + CAST(substr({value}, 21, 6) AS INTEGER))"
    )


def engine_options(url: str) -> dict[str, Any]:
    """Options for ``create_engine`` that suit the database behind ``url``."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        options: dict[str, Any] = {"connect_args": {"check_same_thread": False, "timeout": 15}}
        if parsed.database in (None, "", ":memory:"):
            options["poolclass"] = StaticPool
        return options
    return {"pool_pre_ping": True, "pool_size": 10, "max_overflow": 20}


def configure_engine(engine: Engine) -> Engine:
    """Install the per-connection hooks the engine's atomic claims depend on."""
    if engine.dialect.name == "sqlite":
        writer = _SqliteWriter()
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", writer.begin)
        event.listen(engine, "checkin", writer.release)
        event.listen(engine, "close", writer.release)
    event.listen(engine, "handle_error", _mark_lost_connection)
    return engine


def connection_lost(dialect: Dialect, error: Exception, dbapi_connection: Any, cursor: Any) -> bool:
    """Whether ``error`` means the database ended the connection.

    A restarting PostgreSQL ends every session with SQLSTATE class 57P (admin or crash
    shutdown); psycopg may report that before it marks the connection broken, and then
    SQLAlchemy would keep the dead connection, whose rollback fails again later.
    """
    if str(getattr(error, "sqlstate", None) or "").startswith("57P"):
        return True
    return bool(dialect.is_disconnect(error, dbapi_connection, cursor))


def _mark_lost_connection(context: ExceptionContext) -> None:
    """Let SQLAlchemy drop the connection (and the pool's others) when the database ended it."""
    error = context.original_exception
    if not context.is_disconnect and connection_lost(context.dialect, error, None, None):
        context.is_disconnect = True


def make_engine(url: str, **overrides: Any) -> Engine:
    """Create and configure an engine outside Flask (CLI helpers, tests, benchmarks)."""
    return configure_engine(create_engine(url, **{**engine_options(url), **overrides}))


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Hand transaction control to SQLAlchemy's "begin" hook below.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


class _SqliteWriter:
    """One writer at a time per process, queued on a lock rather than SQLite's busy handler.

    Threads of one process that wait inside SQLite's busy handler sleep in growing
    steps (up to 100 ms each), which made the slowest *call next* hundreds of
    milliseconds under load. Waiting on a Python lock instead wakes the next writer
    as soon as the previous transaction has ended and its connection returned.
    Other processes still meet SQLite's busy timeout, as before.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()

    def begin(self, connection: Any) -> None:
        if connection.get_execution_options().get(READ_ONLY):
            connection.exec_driver_sql("BEGIN")
            return
        record = connection.connection._connection_record
        if record is not None and not record.info.get(_HOLDS_LOCK):
            self.lock.acquire()
            record.info[_HOLDS_LOCK] = True
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    def release(self, _dbapi_connection: Any, record: Any) -> None:
        if record is not None and record.info.pop(_HOLDS_LOCK, False):
            self.lock.release()


_HOLDS_LOCK = "nobat.sqlite_write_lock"
