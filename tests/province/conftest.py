"""The engine of these tests: one per database, emptied before each test."""

from tests.emptied import engine  # noqa: F401
