"""External services the integration tests use: PostgreSQL and Redis on this machine.

A test marked ``postgres`` or ``redis`` is skipped, with the reason, when the
service is not reachable; with ``NOBAT_REQUIRE_SERVICES=1`` (set by CI) it fails
instead, so a green CI run always means the tests really ran against them.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from functools import cache

import pytest
from sqlalchemy import create_engine, text

POSTGRES_ADMIN_URL = os.environ.get(
    "NOBAT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("NOBAT_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
REQUIRED = os.environ.get("NOBAT_REQUIRE_SERVICES") == "1"


@cache
def postgres_problem() -> str | None:
    """None when PostgreSQL answers, else why not."""
    try:
        engine = create_engine(POSTGRES_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as error:  # any failure means "not usable here"
        return f"PostgreSQL at {POSTGRES_ADMIN_URL} is not reachable: {error.__class__.__name__}"
    return None


@cache
def redis_problem() -> str | None:
    """None when Redis answers a PING, else why not."""
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=2) as connection:
            connection.sendall(b"PING\r\n")
            if not connection.recv(16).startswith(b"+PONG"):
                return "Redis at 127.0.0.1:6379 did not answer PING"
    except OSError as error:
        return f"Redis at 127.0.0.1:6379 is not reachable: {error}"
    return None


_PROBLEMS = {"postgres": postgres_problem, "redis": redis_problem}


def check(item: pytest.Item) -> None:
    """Skip (or, when services are required, fail) a test whose service is down."""
    for marker, problem in _PROBLEMS.items():
        if item.get_closest_marker(marker) and (reason := problem()):
            if REQUIRED:
                pytest.fail(f"{reason} (NOBAT_REQUIRE_SERVICES=1)", pytrace=False)
            pytest.skip(reason)


def fresh_postgres_database(
    prefix: str = "nobat_test", admin_url: str = POSTGRES_ADMIN_URL
) -> Iterator[str]:
    """Create a uniquely named database, yield its URL, drop it afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(
        admin_url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5}
    )
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield admin_url.rsplit("/", 1)[0] + f"/{name}"
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def empty_postgres_database(url: str) -> None:
    """Drop every table so the next test starts from nothing, cheaply."""
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()
