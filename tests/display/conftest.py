"""The app of these tests: one per database, emptied before each test (``tests/conftest.py``).

A module that needs an app of its own (its instance folder, its configuration) still
defines ``app`` itself.
"""

from __future__ import annotations

import pytest
from flask import Flask

from tests.conftest import emptied


@pytest.fixture
def app(reusable_app: Flask) -> Flask:
    return emptied(reusable_app)
