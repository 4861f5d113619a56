"""What the socket tests of one process share: the app publishing to Socket.IO rooms."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from harness import services
from server.app import create_app
from server.config import TestingConfig
from server.database import Base, make_engine
from server.extensions import db
from tests.conftest import close


@pytest.fixture
def app(sqlite_url: str) -> Iterator[Flask]:
    """The app publishing to Socket.IO rooms (the default publisher), on SQLite."""
    result = create_app(TestingConfig, {"SQLALCHEMY_DATABASE_URI": sqlite_url})
    with result.app_context():
        Base.metadata.create_all(db.engine)
    yield result
    close(result)


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    """A fresh PostgreSQL database with the schema, for a module's cluster of processes
    (which also needs Redis): skipped without them, failed in CI."""
    if problem := services.postgres_problem() or services.redis_problem():
        pytest.fail(problem) if services.REQUIRED else pytest.skip(problem)
    for url in services.fresh_postgres_database():
        engine = make_engine(url)
        Base.metadata.create_all(engine)
        engine.dispose()
        yield url
