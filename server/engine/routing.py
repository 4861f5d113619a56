"""Routing: which waiting ticket a counter calls next, claimed in one atomic statement.

A policy only decides the order. The claim itself is a single
``UPDATE ... WHERE id = (SELECT ... LIMIT 1) RETURNING``: on PostgreSQL the inner
select takes ``FOR UPDATE SKIP LOCKED`` so that concurrent clerks pass over a
row another clerk is claiming; on SQLite the connection began ``IMMEDIATE``, so
the whole transaction holds the write lock. Either way no ticket is claimed twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Protocol

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm import Session

from server.engine import lifecycle
from server.models import IS_WAITING, Counter, CounterService, Ticket, TicketStatus


class RoutingPolicy(Protocol):
    def order(self, counter: Counter, priority_bound: int) -> Sequence[ColumnElement]:
        """The ORDER BY of the candidate tickets, best first."""


class TieredPriority:
    """Tiers first; within them priority tickets first, but never more than K in a row."""

    def order(self, counter: Counter, priority_bound: int) -> Sequence[ColumnElement]:
        prefer_ordinary = counter.priority_streak >= priority_bound
        priority = Ticket.priority.asc() if prefer_ordinary else Ticket.priority.desc()
        return (CounterService.tier, priority, Ticket.queued_at, Ticket.id)


class TieredFifo:
    """Tiers first, then strictly by queue time: for offices that do not give priority."""

    def order(self, counter: Counter, priority_bound: int) -> Sequence[ColumnElement]:
        return (CounterService.tier, Ticket.queued_at, Ticket.id)


POLICIES: dict[str, RoutingPolicy] = {"tiered": TieredPriority(), "fifo": TieredFifo()}


def policy(name: str) -> RoutingPolicy:
    """The routing policy registered under ``name``."""
    try:
        return POLICIES[name]
    except KeyError:
        raise ValueError(f"unknown routing policy {name!r}; known: {sorted(POLICIES)}") from None


def claim_next(
    session: Session,
    counter: Counter,
    *,
    day: date,
    now: datetime,
    clerk_id: int | None,
    routing: RoutingPolicy,
    priority_bound: int,
) -> Ticket | None:
    """Atomically mark the best waiting ticket as called at ``counter``; None if none waits."""
    candidate = (
        select(Ticket.id)
        .join(
            CounterService,
            (CounterService.service_id == Ticket.service_id)
            & (CounterService.counter_id == counter.id),
        )
        .where(IS_WAITING, Ticket.business_date == day)
        .order_by(*routing.order(counter, priority_bound))
        .limit(1)
        .with_for_update(skip_locked=True, of=Ticket)
        # The subquery reads tickets itself; it must not correlate to the UPDATE's table.
        .correlate(None)
        .scalar_subquery()
    )
    called = lifecycle.target(TicketStatus.WAITING, lifecycle.Action.CALL)
    claimed_id = session.execute(
        update(Ticket)
        .where(Ticket.id == candidate, IS_WAITING)
        .values(status=called, called_at=now, counter_id=counter.id, clerk_id=clerk_id)
        .returning(Ticket.id)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    if claimed_id is None:
        return None
    ticket = session.get(Ticket, claimed_id, populate_existing=True)
    assert ticket is not None
    counter.priority_streak = counter.priority_streak + 1 if ticket.priority else 0
    return ticket
