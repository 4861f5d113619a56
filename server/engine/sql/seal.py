"""The event seal: each office's sequence bumped and its audit rows written, at commit.

The office row stays locked from its bump to the commit, so every command of the
office waits for that stretch. On PostgreSQL it is one round trip: the bump and the
audit rows are one statement, sent with the COMMIT (see :func:`prepared.then_commit`),
after the writes a command queued to go with it (:data:`Queued`: those that follow a
lock of their own, such as an issue's print job after its number). On SQLite, and
inside a savepoint, the queued writes, the bump and the rows go one by one, and the
session commits as usual.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Integer, String, bindparam, column, func, insert, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from server.database import UTCDateTime
from server.engine.sql.prepared import Prepared, then_commit
from server.models import Office, TicketEvent

#: One office's pending audit rows: its id and each row's varying columns (:data:`EACH`).
Batch = tuple[int, Sequence[dict[str, Any]]]
#: A write to send with the commit, and what to tell of the rows it returns.
Queued = tuple[Prepared, dict[str, Any], Callable[[list[Any]], None] | None]

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
EACH = {
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
        func.unnest(*(bindparam(name, type_=ARRAY(kind)) for name, kind in EACH.items()))
        .table_valued(*(column(name, kind) for name, kind in EACH.items()), with_ordinality="ord")
        .render_derived("each")
    )
    seq = bumped.c.event_seq - bindparam("n", type_=Integer) + rows.c.ord
    return Prepared(
        insert(_events)
        .from_select(
            ["office_id", *EACH, "seq"],
            select(bindparam("office", type_=Integer), *(rows.c[n] for n in EACH), seq),
        )
        .add_cte(bumped)
        .returning(_events.c.seq)
    )


_BUMP_AND_INSERT = _bump_and_insert()


def with_the_commit(
    session: Session, queued: Sequence[Queued], batches: Sequence[Batch]
) -> list[int]:
    """PostgreSQL: the queued writes, every office's seal and the commit in one round trip;
    each office's last number.

    In a savepoint the COMMIT is not ours to send, so the statements go one by one.
    """
    if session.in_nested_transaction():
        return one_by_one(session, queued, batches)
    sealing = [(_BUMP_AND_INSERT, _columns(office_id, rows)) for office_id, rows in batches]
    found = then_commit(session, [(prepared, params) for prepared, params, _ in queued] + sealing)
    _told(queued, found)
    return [max(seq for (seq,) in rows) for rows in found[len(queued) :]]


def one_by_one(session: Session, queued: Sequence[Queued], batches: Sequence[Batch]) -> list[int]:
    """The queued writes, then each office's counter bumped and its audit rows written;
    each office's last number."""
    _told(queued, [prepared.rows(session, params) for prepared, params, _ in queued])
    return [_bump_then_insert(session, office_id, rows) for office_id, rows in batches]


def _told(queued: Sequence[Queued], found: Sequence[list[Any]]) -> None:
    for (_, _, then), rows in zip(queued, found, strict=False):
        if then is not None:
            then(rows)


def _columns(office_id: int, rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The parameters of :data:`_BUMP_AND_INSERT`: one list per column."""
    return {
        "office": office_id,
        "n": len(rows),
        **{name: [row[name] for row in rows] for name in EACH},
    }


def _bump_then_insert(session: Session, office_id: int, rows: Sequence[dict[str, Any]]) -> int:
    """Bump the office's counter, then write the audit rows; the counter's new value."""
    last = _BUMP_SEQ.scalar(session, {"office": office_id, "n": len(rows)})
    first = last - len(rows) + 1
    # A Core insert: the audit rows need no unit of work, and this runs on every commit.
    _INSERT_EVENTS.many(
        session,
        [{**row, "office_id": office_id, "seq": seq} for seq, row in enumerate(rows, start=first)],
    )
    return last
