"""The app and the engine of these tests: one per database, emptied before each test. A
module that needs an app of its own still defines ``app`` itself."""

from tests.emptied import app, engine  # noqa: F401
