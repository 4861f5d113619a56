"""The app and the engine of these tests: one per database, emptied before each test
(``tests/conftest.py``).

A module that needs an app of its own (its instance folder, its configuration) still
defines ``app`` itself.
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
