"""Opt-in ``app`` and ``engine`` fixtures: the suite's one app or engine per database, its
tables emptied before each test (``tests/conftest.py``).

A directory's conftest imports the ones it wants (``from tests.emptied import app``);
building an app and its schema took half a second a test on PostgreSQL, emptying it takes
milliseconds. Ids are not reset: tests look them up rather than assume them.
"""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import Engine

from tests.conftest import emptied, empty_tables


@pytest.fixture
def app(reusable_app: Flask) -> Flask:
    return emptied(reusable_app)


@pytest.fixture
def engine(reusable_engine: Engine) -> Engine:
    return empty_tables(reusable_engine)
