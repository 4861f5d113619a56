"""Events: written to the audit trail in the transaction, published only after commit.

Commands call :func:`record`. Just before commit the pending events of each
office get consecutive sequence numbers from the office row (so numbers are
strictly increasing across processes) and become ``TicketEvent`` rows; after
the commit they leave as plain :class:`LiveEvent` data through the publisher.
A rolled-back transaction publishes nothing.

The office row stays locked from its bump to the commit, so every command of
the office waits for that stretch. On PostgreSQL it is one round trip: the bump
and the audit rows are one statement, sent with the COMMIT (see
:meth:`Prepared.rows_then_commit`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Integer, String, bindparam, column, event, func, insert, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session, sessionmaker

from server.database import UTCDateTime
from server.engine.facts import CounterFacts, TicketFacts
from server.engine.prepared import Prepared
from server.models import EventType, Office, TicketEvent

log = logging.getLogger(__name__)

_PENDING = "nobat.pending_events"
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


_offices, _events = Office.__table__, TicketEvent.__table__
_BUMP = (
    update(_offices)
    .where(_offices.c.id == bindparam("office"))
    .values(event_seq=_offices.c.event_seq + bindparam("n", type_=Integer))
    .returning(_offices.c.event_seq)
)
_BUMP_SEQ = Prepared(_BUMP)
_INSERT_EVENTS = Prepared(insert(_events))
#: The columns of an audit row that differ from event to event, and their types.
_EACH = {
    "ticket_id": Integer,
    "type": String,
    "at": UTCDateTime,
    "counter_id": Integer,
    "actor_id": Integer,
    "device_token_id": Integer,
    "detail": String,
}


def _bump_and_insert() -> Prepared:
    """PostgreSQL: bump the office's counter and write its audit rows in one statement.

    The rows arrive as one array per column, unnested in order; each row's number is
    the counter's new value minus the rows after it.
    """
    bumped = _BUMP.cte("bumped")
    rows = (
        func.unnest(*(bindparam(name, type_=ARRAY(kind)) for name, kind in _EACH.items()))
        .table_valued(*(column(name, kind) for name, kind in _EACH.items()), with_ordinality="ord")
        .render_derived("each")
    )
    seq = bumped.c.event_seq - bindparam("n", type_=Integer) + rows.c.ord
    return Prepared(
        insert(_events)
        .from_select(
            ["office_id", *_EACH, "seq"],
            select(bindparam("office", type_=Integer), *(rows.c[n] for n in _EACH), seq),
        )
        .add_cte(bumped)
        .returning(_events.c.seq)
    )


_BUMP_AND_INSERT = _bump_and_insert()


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
    if not pending:
        return
    session.flush()
    by_office: dict[int, list[_Pending]] = {}
    for item in pending:
        by_office.setdefault(item.office_id, []).append(item)
    # Offices in id order: two transactions never wait on each other's office rows.
    offices = sorted(by_office)
    if session.get_bind().dialect.name == "postgresql" and not session.in_nested_transaction():
        sealed = _BUMP_AND_INSERT.rows_then_commit(
            session, [_columns(office_id, by_office[office_id]) for office_id in offices]
        )
        lasts = [max(seq for (seq,) in rows) for rows in sealed]
    else:
        lasts = [
            _bump_then_insert(session, office_id, by_office[office_id]) for office_id in offices
        ]
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
    """The varying columns of an event's audit row."""
    return {
        "ticket_id": item.ticket_id,
        "type": item.type,
        "at": item.at,
        "counter_id": item.counter_id,
        "actor_id": item.actor.user_id,
        "device_token_id": item.actor.device_token_id,
        "detail": item.detail,
    }


def _columns(office_id: int, items: list[_Pending]) -> dict[str, Any]:
    """The parameters of :data:`_BUMP_AND_INSERT`: one list per column."""
    rows = [_row(item) for item in items]
    return {
        "office": office_id,
        "n": len(items),
        **{name: [row[name] for row in rows] for name in _EACH},
    }


def _bump_then_insert(session: Session, office_id: int, items: list[_Pending]) -> int:
    """Bump the office's counter, then write the audit rows; the counter's new value."""
    last = _BUMP_SEQ.scalar(session, {"office": office_id, "n": len(items)})
    first = last - len(items) + 1
    # A Core insert: the audit rows need no unit of work, and this runs on every commit.
    _INSERT_EVENTS.many(
        session,
        [
            {**_row(item), "office_id": office_id, "seq": seq}
            for seq, item in enumerate(items, start=first)
        ],
    )
    return last


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
    session.info.pop(_OUTBOX, None)
