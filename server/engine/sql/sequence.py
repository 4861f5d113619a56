"""The numbering upsert, one statement per database.

Both supported databases speak ``INSERT ... ON CONFLICT ... RETURNING``, but
SQLAlchemy builds it from each dialect's own ``insert``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy.dialects import postgresql, sqlite

from server.engine.sql.prepared import Prepared
from server.models import DailySequence

_table = DailySequence.__table__


def _bump(insert: Callable[..., Any]) -> Prepared:
    stmt = insert(_table).values(
        service_id=bindparam("service_id"), business_date=bindparam("day"), last=1
    )
    # At the cap the row is left as it is and nothing is returned.
    return Prepared(
        stmt.on_conflict_do_update(
            index_elements=[_table.c.service_id, _table.c.business_date],
            set_={"last": _table.c.last + 1},
            where=_table.c.last < bindparam("cap"),
        ).returning(_table.c.last)
    )


#: Bump (or start at 1) a service's number for a day, below ``cap``; the new number or none.
POSTGRESQL_BUMP = _bump(postgresql.insert)
SQLITE_BUMP = _bump(sqlite.insert)
