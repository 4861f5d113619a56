"""Column helpers shared by the model modules."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import Enum


def enum_column(enum: type[StrEnum]) -> Enum:
    """Store a StrEnum by value as a checked string (portable across SQLite and PostgreSQL)."""
    return Enum(
        enum,
        native_enum=False,
        validate_strings=True,
        length=16,
        values_callable=lambda members: [m.value for m in members],
        name=enum.__name__.lower(),
    )
