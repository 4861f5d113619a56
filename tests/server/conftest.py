"""The app and the engine of these tests: one per database, emptied before each test
(``tests/conftest.py``).

A module that needs an app of its own (its instance folder, its configuration) still
defines ``app`` itself.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from server.extensions import db
from tests.conftest import close, new_app, people
from tests.emptied import app, engine  # noqa: F401


@pytest.fixture
def own_app(db_url: str) -> Iterator[Flask]:
    """A new app for a test that adds a view to it (an app that has served a request
    takes none), with the offices and people of ``tokens``."""
    result = new_app(db_url)
    with result.app_context():
        people(db.session)
        db.session.commit()
    yield result
    close(result)
