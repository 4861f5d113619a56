"""The engine of these tests: one per database, its tables emptied before each test
(``tests/conftest.py``)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from tests.conftest import empty_tables


@pytest.fixture
def engine(reusable_engine: Engine) -> Engine:
    return empty_tables(reusable_engine)
