"""The app of these tests: one per database, emptied before each test. A module that needs
an app of its own (its instance folder, its configuration) still defines ``app`` itself."""

from tests.emptied import app  # noqa: F401
