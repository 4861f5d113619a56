"""Routing: which waiting ticket a counter calls next.

A policy only decides the order. The claim itself is one atomic statement
(:mod:`server.engine.sql.claim`), so no ticket is claimed twice, however many
clerks call at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, Protocol

from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session

from server.engine.facts import CounterFacts, links, tickets
from server.engine.sql import claim, dialects


class RoutingPolicy(Protocol):
    def order(self, counter: CounterFacts, priority_bound: int) -> Sequence[ColumnElement]:
        """The ORDER BY of the candidate tickets, best first."""


class TieredPriority:
    """Tiers first; within them priority tickets first, but never more than K in a row."""

    PRIORITY_FIRST = (links.c.tier, tickets.c.priority.desc(), tickets.c.queued_at, tickets.c.id)
    ORDINARY_FIRST = (links.c.tier, tickets.c.priority.asc(), tickets.c.queued_at, tickets.c.id)

    def order(self, counter: CounterFacts, priority_bound: int) -> Sequence[ColumnElement]:
        if counter.priority_streak >= priority_bound:
            return self.ORDINARY_FIRST
        return self.PRIORITY_FIRST


class TieredFifo:
    """Tiers first, then strictly by queue time: for offices that do not give priority."""

    ORDER = (links.c.tier, tickets.c.queued_at, tickets.c.id)

    def order(self, counter: CounterFacts, priority_bound: int) -> Sequence[ColumnElement]:
        return self.ORDER


POLICIES: dict[str, RoutingPolicy] = {"tiered": TieredPriority(), "fifo": TieredFifo()}


def policy(name: str) -> RoutingPolicy:
    """The routing policy registered under ``name``."""
    try:
        return POLICIES[name]
    except KeyError:
        raise ValueError(f"unknown routing policy {name!r}; known: {sorted(POLICIES)}") from None


def claim_next(
    session: Session,
    counter: CounterFacts,
    *,
    day: date,
    now: datetime,
    clerk_id: int | None,
    routing: RoutingPolicy,
    priority_bound: int,
    call_key: str | None = None,
) -> Any:
    """Atomically mark the best waiting ticket as called at ``counter``.

    Returns its :data:`~server.engine.facts.TICKET_COLUMNS` as called, or None.
    ``call_key`` is the caller's Idempotency-Key, kept on the ticket for a retry.
    """
    order = routing.order(counter, priority_bound)
    params = {"counter": counter.id, "day": day, "now": now, "clerk": clerk_id, "key": call_key}
    return dialects.of(session).claim(session, order, params)


def peek_next(
    session: Session,
    counter: CounterFacts,
    *,
    day: date,
    routing: RoutingPolicy,
    priority_bound: int,
) -> int | None:
    """The id of the ticket *call next* would take now, without claiming it (for screens)."""
    order = routing.order(counter, priority_bound)
    return claim.peek(session, order, {"counter": counter.id, "day": day})
