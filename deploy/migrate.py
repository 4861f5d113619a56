"""Bring the database to the current schema once, however many app containers start together.

Run by ``deploy/entrypoint.sh`` before gunicorn starts (``entrypoint.sh migrate``
runs only this step). It

1. waits for the database to accept connections, for at most
   ``NOBAT_DB_WAIT_SECONDS`` (default 60), and says what it is waiting for;
2. on PostgreSQL takes a session advisory lock, so that when several app
   containers start at once exactly one migrates while the others wait for it
   (at most ``NOBAT_MIGRATE_LOCK_SECONDS``, default 300) and then find nothing
   left to do;
3. runs ``nobat db upgrade`` and, with ``NOBAT_SEED_DEMO=1``, ``nobat seed-demo``
   (idempotent), both while holding the lock.

SQLite (the embedded deployment, one process) needs neither the wait nor the lock.
Only SQLAlchemy (a dependency of the app) is imported here: the app itself runs
in the ``nobat`` subprocesses.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator

from sqlalchemy import Connection, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

#: The advisory lock key: the bytes of "nobat-db" read as a signed 64-bit integer.
LOCK_KEY = int.from_bytes(b"nobat-db", "big", signed=True)
POLL_SECONDS = 0.5


def log(message: str) -> None:
    print(f"nobat-migrate: {message}", file=sys.stderr, flush=True)


def _seconds(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        raise SystemExit(f"nobat-migrate: {name} must be a number of seconds") from None


def wait_for_database(url: str, seconds: float) -> Connection:
    """A connection to the database at ``url``, retried until it answers or ``seconds`` pass."""
    shown = make_url(url).render_as_string(hide_password=True)
    engine = create_engine(
        url,
        poolclass=NullPool,
        isolation_level="AUTOCOMMIT",
        connect_args={"connect_timeout": 5},
    )
    deadline = time.monotonic() + seconds
    attempt = 0
    while True:
        attempt += 1
        try:
            connection = engine.connect()
            connection.execute(text("SELECT 1"))
        except Exception as error:  # any failure to connect means "not yet"
            reason = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
            if time.monotonic() >= deadline:
                raise SystemExit(
                    f"nobat-migrate: the database at {shown} is not reachable after "
                    f"{attempt} attempts in {seconds:g} s, giving up: {reason}"
                ) from None
            log(f"waiting for the database at {shown} (attempt {attempt}): {reason}")
            time.sleep(min(1.0 + attempt * 0.5, 5.0, max(deadline - time.monotonic(), 0.1)))
            continue
        if attempt > 1:
            log(f"the database at {shown} answers")
        return connection


@contextlib.contextmanager
def migration_lock(connection: Connection, seconds: float) -> Iterator[None]:
    """Hold PostgreSQL's session advisory lock ``LOCK_KEY`` (polled, bounded by ``seconds``)."""
    deadline = time.monotonic() + seconds
    told = False
    while not connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": LOCK_KEY}):
        if not told:
            log("another process holds the migration lock; waiting for it to finish")
            told = True
        if time.monotonic() >= deadline:
            raise SystemExit(
                f"nobat-migrate: the migration lock was not released within {seconds:g} s; "
                "is another migration stuck?"
            )
        time.sleep(POLL_SECONDS)
    log("holding the migration lock")
    try:
        yield
    finally:
        connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": LOCK_KEY})


def nobat(*args: str) -> None:
    """Run a ``nobat`` command with this interpreter; stop on failure."""
    log(f"nobat {' '.join(args)}")
    done = subprocess.run([sys.executable, "-m", "server.cli", *args], check=False)
    if done.returncode != 0:
        raise SystemExit(f"nobat-migrate: `nobat {' '.join(args)}` failed ({done.returncode})")


def steps() -> None:
    nobat("db", "upgrade")
    if os.environ.get("NOBAT_SEED_DEMO") == "1":
        nobat("seed-demo")


def main() -> None:
    url = os.environ.get("NOBAT_DATABASE_URL", "")
    if not url or make_url(url).get_backend_name() != "postgresql":
        steps()  # SQLite: one process, nothing to wait for or to lock against
        return
    connection = wait_for_database(url, _seconds("NOBAT_DB_WAIT_SECONDS", 60))
    try:
        with migration_lock(connection, _seconds("NOBAT_MIGRATE_LOCK_SECONDS", 300)):
            steps()
    finally:
        connection.close()
    log("the database is up to date")


if __name__ == "__main__":
    main()
