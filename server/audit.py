"""The audit log of administrative actions: recorded beside the change, in its transaction.

Plain SQLAlchemy (no Flask): the API, the command line and the pages record alike. An
entry keeps only what changed, before and after, as the JSON the API would show.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.engine.errors import N_
from server.models import AuditEntry

#: At most this many entries in one answer (narrow the dates for older ones).
MAX_ENTRIES = 500
#: Who may read an office's log, and what others are told.
ONLY_MANAGERS = N_("only the office's managers read its audit log")


@dataclass(frozen=True)
class Actor:
    """Who acted: a staff user (with their name), a device, or the command line."""

    name: str
    user_id: int | None = None


COMMAND_LINE = Actor("command line")


def record(
    session: Session,
    actor: Actor,
    action: str,
    *,
    at: datetime,
    office_id: int | None,
    target: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Add an entry to the session (committed with the change it records).

    With both ``before`` and ``after``, only the keys whose values differ are kept.
    """
    if before is not None and after is not None:
        changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
        before = {k: v for k, v in before.items() if k in changed}
        after = {k: v for k, v in after.items() if k in changed}
    session.add(
        AuditEntry(
            at=at,
            office_id=office_id,
            user_id=actor.user_id,
            actor=actor.name[:100],
            action=action,
            target=target[:200],
            before=before,
            after=after,
        )
    )


def entries(
    session: Session,
    office_id: int,
    first: datetime,
    last: datetime,
    *,
    action: str | None = None,
    actor: str | None = None,
    limit: int = MAX_ENTRIES,
) -> Sequence[AuditEntry]:
    """The office's entries from ``first`` to before ``last``, newest first, filtered."""
    query = select(AuditEntry).where(
        AuditEntry.office_id == office_id, AuditEntry.at >= first, AuditEntry.at < last
    )
    if action:
        query = query.where(AuditEntry.action == action)
    if actor:
        query = query.where(AuditEntry.actor == actor)
    return session.scalars(
        query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)
    ).all()
