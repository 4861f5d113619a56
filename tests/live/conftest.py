"""What the socket tests of one process share: the app publishing to Socket.IO rooms."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from server.app import create_app
from server.config import TestingConfig
from server.database import Base
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
