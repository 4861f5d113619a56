"""The engine of these tests: one per database, emptied before each test; the engine's
tests start from a fresh office hundreds of times."""

from tests.emptied import engine  # noqa: F401
