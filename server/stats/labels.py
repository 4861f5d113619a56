"""Group keys as people read them: codes and names instead of ids, dates in both calendars."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import Counter, Service, User
from server.stats.grouping import Scope
from server.stats.periods import day_label


def labeller(
    session: Session, scope: Scope, by: str
) -> Callable[[tuple[Any, ...]], dict[str, Any]]:
    """A function from a key tuple of grouping ``by`` to the group's named key fields."""
    offices = {o.id: o for o in scope.offices}
    if by == "office":
        return lambda key: {
            "office": offices[key[0]].code,
            "name": offices[key[0]].name_fa,
            "name_en": offices[key[0]].name_en,
        }
    if by == "service":
        found = {
            s.id: s for s in session.scalars(select(Service).where(Service.office_id.in_(offices)))
        }
        return lambda key: {
            "office": offices[found[key[0]].office_id].code,
            "service": found[key[0]].code,
            "name": found[key[0]].name_fa,
            "name_en": found[key[0]].name_en,
        }
    if by == "counter":
        counters = {
            c.id: c for c in session.scalars(select(Counter).where(Counter.office_id.in_(offices)))
        }
        return lambda key: (
            {
                "office": offices[counters[key[0]].office_id].code,
                "counter": counters[key[0]].number,
                "name": counters[key[0]].name,
                "name_en": counters[key[0]].name_en,
            }
            if key[0] in counters
            else {"office": None, "counter": None, "name": None, "name_en": None}
        )
    if by == "clerk":
        users = dict(
            session.execute(select(User.id, User.username).where(User.office_id.in_(offices))).all()
        )
        return lambda key: {"clerk": users.get(key[0])}
    if by == "day":
        return lambda key: day_label(_as_date(key[0]))
    if by == "hour":
        return lambda key: {"hour": key[0]}
    return lambda key: {"weekday": key[0], "hour": key[1]}


def _as_date(value: date | str) -> date:
    # SQLite hands back a date column read through a subquery as its text.
    return value if isinstance(value, date) else date.fromisoformat(value)


def sort_key(by: str, group: dict[str, Any]) -> tuple[Any, ...]:
    """Groups in reading order: by office and code or number, by date, by hour."""
    fields = {
        "office": ("office",),
        "service": ("office", "service"),
        "counter": ("office", "counter"),
        "clerk": ("clerk",),
        "day": ("date",),
        "hour": ("hour",),
        "weekday_hour": ("weekday", "hour"),
    }[by]
    return tuple((group[f] is None, group[f] if group[f] is not None else 0) for f in fields)
