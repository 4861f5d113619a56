"""The numbering: a service's next number of the day, and the ticket that takes it.

The daily number's row is the one every kiosk of a service waits for: its lock lasts
from the bump until the commit. So the bump and the ticket's insert are one
statement where the database allows it (PostgreSQL: the bump as a CTE the insert
reads), and the issue sends everything else that must follow it with the COMMIT
(``events.with_the_commit``): the row is held for about one round trip. SQLite
takes no row locks (one writer at a time), so there the two are two statements.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import String, bindparam, case, cast, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from server.engine.facts import TICKET_COLUMNS, tickets
from server.engine.sql.prepared import Prepared
from server.models import DailySequence

_table = DailySequence.__table__

#: The ticket's own columns the caller gives; ``sequence`` and ``number`` come from the bump.
FIELDS = (
    "office_id",
    "service_id",
    "business_date",
    "priority",
    "priority_reason",
    "status",
    "issued_at",
    "queued_at",
    "recall_count",
    "public_token",
    "transferred_from_id",
    "request_key",
)


def _bump(insert: Callable[..., Any]) -> Any:
    stmt = insert(_table).values(
        service_id=bindparam("service_id"), business_date=bindparam("business_date"), last=1
    )
    # At the cap the row is left as it is and nothing is returned.
    return stmt.on_conflict_do_update(
        index_elements=[_table.c.service_id, _table.c.business_date],
        set_={"last": _table.c.last + 1},
        where=_table.c.last < bindparam("cap"),
    ).returning(_table.c.last)


def _numbered_insert() -> Prepared:
    """PostgreSQL: bump the service's number and insert the ticket holding it, in one statement.

    ``number`` is ``numbering.display_number`` in SQL (three digits at least); a test
    holds the two equal.
    """
    bumped = _bump(postgresql.insert).cte("bumped")
    last = bumped.c.last
    digits = case((last < 1000, func.lpad(cast(last, String), 3, "0")), else_=cast(last, String))
    number = bindparam("letter", type_=String) + "-" + digits
    given = [bindparam(name, type_=tickets.c[name].type) for name in FIELDS]
    return Prepared(
        insert(tickets)
        .from_select([*FIELDS, "sequence", "number"], select(*given, last, number))
        .add_cte(bumped)
        .returning(*TICKET_COLUMNS)
    )


_POSTGRESQL_INSERT = _numbered_insert()
_SQLITE_BUMP = Prepared(_bump(sqlite.insert))
_INSERT = Prepared(insert(tickets).returning(*TICKET_COLUMNS))


def numbered_in_one(session: Session, params: dict[str, Any], number: Callable[[int], str]) -> Any:
    """PostgreSQL: the new ticket's row, numbered, from one statement; None at the cap."""
    return _POSTGRESQL_INSERT.first(session, params)


def numbered_in_two(session: Session, params: dict[str, Any], number: Callable[[int], str]) -> Any:
    """SQLite: bump, then insert the ticket with its ``number(sequence)``; None at the cap."""
    sequence = _SQLITE_BUMP.scalar(session, params)
    if sequence is None:
        return None
    fields = {name: params[name] for name in FIELDS}
    return _INSERT.first(session, {**fields, "sequence": sequence, "number": number(sequence)})
