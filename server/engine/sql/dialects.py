"""Every choice by database, in one table: what differs, by SQLAlchemy dialect name.

The rule modules ask :func:`of` for the session's variants and never name a
database, so supporting another one is a new entry here and the statements it needs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session

from server.engine.sql import claim, seal, sequence


@dataclass(frozen=True)
class Variants:
    """One database's way of doing each thing the engine's rules leave to it."""

    #: Claim the best waiting ticket in an order: ``(session, order, params) -> row | None``.
    claim: Callable[[Session, Sequence[ColumnElement], dict[str, Any]], Any]
    #: Send the queued writes, then number and write the pending audit rows per office:
    #: ``(session, queued, batches) -> lasts``.
    seal: Callable[[Session, Sequence[seal.Queued], Sequence[seal.Batch]], list[int]]
    #: A new ticket taking the service's next number of the day, below the cap:
    #: ``(session, params, number) -> ticket row | None`` (``sequence.FIELDS``, ``letter``,
    #: ``cap``; ``number(sequence)`` formats it where the database does not).
    new_ticket: Callable[[Session, dict[str, Any], Callable[[int], str]], Any]


VARIANTS: dict[str, Variants] = {
    # The connection begins IMMEDIATE: one writer at a time, no row locks to skip.
    "sqlite": Variants(
        claim=claim.by_heads, seal=seal.one_by_one, new_ticket=sequence.numbered_in_two
    ),
    "postgresql": Variants(
        claim=claim.skipping_locked,
        seal=seal.with_the_commit,
        new_ticket=sequence.numbered_in_one,
    ),
}


def of(session: Session) -> Variants:
    """The variants of the database ``session`` is bound to."""
    name = session.get_bind().dialect.name
    try:
        return VARIANTS[name]
    except KeyError:
        raise ValueError(f"unsupported database {name!r}; known: {sorted(VARIANTS)}") from None
