"""The engine of these tests: one per database, its tables emptied before each test
(``tests/conftest.py``): a new schema took a quarter to three quarters of a second a
test on PostgreSQL, and the engine's tests start from a fresh office hundreds of times.
Ids are not reset: the tests look them up rather than assume them.
"""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from tests.conftest import empty_tables


@pytest.fixture
def engine(reusable_engine: Engine) -> Engine:
    return empty_tables(reusable_engine)
