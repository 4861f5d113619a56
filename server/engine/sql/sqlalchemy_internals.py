"""The private parts of SQLAlchemy that :class:`~server.engine.sql.prepared.Prepared` reads.

SQLAlchemy has no public way to get a compiled statement's bind and result type
processors, which the prepared runner needs to convert values exactly as SQLAlchemy
does. They are read here and nowhere else, so an upgrade that changes them breaks
one module, and ``tests/engine/test_sql_wing.py`` says so before anything else does.
The SQLAlchemy version range in ``pyproject.toml`` is the one these were checked on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.types import TypeEngine

Processor = Callable[[Any], Any]


def bind_processors(compiled: SQLCompiler) -> Mapping[str, Processor]:
    """The compiled statement's bind processors, by placeholder name (absent: none)."""
    return compiled._bind_processors


def result_columns(compiled: SQLCompiler) -> list[tuple[str, TypeEngine[Any]]]:
    """The name and type of each column the compiled statement returns, in order."""
    return [(column.keyname, column.type) for column in compiled._result_columns]


def result_processor(type_: TypeEngine[Any], dialect: Dialect) -> Processor | None:
    """How ``dialect``'s rows of a ``type_`` column become Python values (None: as they are).

    The type's cached processor, as SQLAlchemy's own results use it.
    """
    return type_._cached_result_processor(dialect, None)
