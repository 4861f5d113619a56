"""Events: written to the audit trail in the transaction, published only after commit.

Commands call :func:`record`. Just before commit the pending events of each
office get consecutive sequence numbers from the office row (so numbers are
strictly increasing across processes) and become ``TicketEvent`` rows; after
the commit they leave as plain :class:`LiveEvent` data through the publisher.
A rolled-back transaction publishes nothing.

The office row stays locked from its bump to the commit, so every command of
the office waits for that stretch; :mod:`server.engine.sql.seal` keeps it short.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from server.engine.facts import CounterFacts, TicketFacts
from server.engine.sql import dialects
from server.engine.sql.prepared import Prepared
from server.models import EventType

log = logging.getLogger(__name__)

_PENDING = "nobat.pending_events"
_QUEUED = "nobat.with_the_commit"
_OUTBOX = "nobat.outbox"
#: Key of ``Session.info`` naming the session's publisher (set through its sessionmaker).
PUBLISHER = "nobat.publisher"


@dataclass(frozen=True)
class Actor:
    """Who caused a change: a staff user, a device, or the system (neither)."""

    user_id: int | None = None
    device_token_id: int | None = None


SYSTEM = Actor()


@dataclass(frozen=True)
class LiveEvent:
    """An event as the realtime layer sends it: the office's next sequence number and data."""

    office_id: int
    seq: int
    type: str
    at: datetime
    ticket: dict[str, Any] | None = None
    counter: dict[str, Any] | None = None


class Publisher(Protocol):
    def publish(self, events: list[LiveEvent]) -> None:
        """Deliver committed events; must not raise into the request that caused them."""


class NullPublisher:
    """Publishes nothing (CLI, benchmarks of the engine alone)."""

    def publish(self, events: list[LiveEvent]) -> None:
        return None


@dataclass
class CollectingPublisher:
    """Keeps every published event in memory and calls optional listeners (tests, one process)."""

    events: list[LiveEvent] = field(default_factory=list)
    listeners: list[Callable[[LiveEvent], None]] = field(default_factory=list)

    def publish(self, events: list[LiveEvent]) -> None:
        self.events.extend(events)
        for live in events:
            for listener in self.listeners:
                listener(live)


@dataclass
class _Pending:
    office_id: int
    type: EventType
    at: datetime
    actor: Actor
    ticket_id: int | None
    counter_id: int | None
    detail: str | None
    ticket: dict[str, Any] | None
    counter: dict[str, Any] | None


def record(
    session: Session,
    type: EventType,
    *,
    office_id: int,
    at: datetime,
    actor: Actor,
    ticket: TicketFacts | None = None,
    counter: CounterFacts | None = None,
    detail: str | None = None,
) -> None:
    """Note that ``type`` happened; the audit row and the live event follow at commit."""
    where = ticket.counter_id if ticket is not None else None
    if counter is not None:
        where = counter.id
    session.info.setdefault(_PENDING, []).append(
        _Pending(
            office_id=office_id,
            type=type,
            at=at,
            actor=actor,
            ticket_id=ticket.id if ticket is not None else None,
            counter_id=where,
            detail=detail,
            ticket=ticket.as_event() if ticket is not None else None,
            counter=counter.as_event() if counter is not None else None,
        )
    )


def with_the_commit(
    session: Session,
    statement: Prepared,
    params: dict[str, Any],
    then: Callable[[list[Any]], None] | None = None,
) -> None:
    """Write ``statement`` at commit, in the commit's own round trip where the database
    allows it, and hand its rows to ``then``.

    For a write that follows a row every other command of its kind waits for (an
    issue's print job after its number): sent with the commit, it adds no round trip
    to the time that row stays locked. Queued writes go before the audit rows.
    """
    session.info.setdefault(_QUEUED, []).append((statement, params, then))


def install(factory: sessionmaker) -> None:
    """Attach the commit hooks to the sessions ``factory`` makes.

    Its sessions seal their events into the audit trail; the live events go to the
    publisher in the session's ``info[PUBLISHER]``, if any.
    """
    for name, hook in (
        ("before_commit", _seal),
        ("after_commit", _flush_outbox),
        ("after_rollback", _discard),
    ):
        event.listen(factory, name, hook)


def _seal(session: Session) -> None:
    pending: list[_Pending] = session.info.pop(_PENDING, [])
    queued = session.info.pop(_QUEUED, [])
    if not pending and not queued:
        return
    session.flush()
    by_office: dict[int, list[_Pending]] = {}
    for item in pending:
        by_office.setdefault(item.office_id, []).append(item)
    # Offices in id order: two transactions never wait on each other's office rows.
    offices = sorted(by_office)
    lasts = dialects.of(session).seal(
        session,
        queued,
        [(office_id, [_row(item) for item in by_office[office_id]]) for office_id in offices],
    )
    outbox = session.info.setdefault(_OUTBOX, [])
    for office_id, last in zip(offices, lasts, strict=True):
        items = by_office[office_id]
        for seq, item in enumerate(items, start=last - len(items) + 1):
            outbox.append(
                LiveEvent(
                    office_id=office_id,
                    seq=seq,
                    type=item.type.value,
                    at=item.at,
                    ticket=item.ticket,
                    counter=item.counter,
                )
            )


def _row(item: _Pending) -> dict[str, Any]:
    """The varying columns of an event's audit row (:data:`server.engine.sql.seal.EACH`)."""
    return {
        "ticket_id": item.ticket_id,
        "type": item.type,
        "at": item.at,
        "counter_id": item.counter_id,
        "actor_id": item.actor.user_id,
        "device_token_id": item.actor.device_token_id,
        "detail": item.detail,
    }


def _flush_outbox(session: Session) -> None:
    outbox: list[LiveEvent] = session.info.pop(_OUTBOX, [])
    publisher: Publisher | None = session.info.get(PUBLISHER)
    if not outbox or publisher is None:
        return
    try:
        publisher.publish(outbox)
    except Exception:
        # The change is committed; a lost broadcast is healed by the next snapshot.
        log.exception("publishing %d events failed", len(outbox))


def _discard(session: Session) -> None:
    session.info.pop(_PENDING, None)
    session.info.pop(_QUEUED, None)
    session.info.pop(_OUTBOX, None)
