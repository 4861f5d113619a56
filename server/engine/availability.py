"""Whether a service issues tickets right now: active, within its hours, under its daily cap."""

from __future__ import annotations

from datetime import date, datetime, time
from enum import StrEnum

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from server.engine.clock import zone
from server.engine.errors import N_
from server.models import DailySequence, Service


class Unavailable(StrEnum):
    INACTIVE = "inactive"
    BEFORE_HOURS = "before_hours"
    AFTER_HOURS = "after_hours"
    DAILY_CAP = "daily_cap"


#: What the citizen (and the clerk) is told for each reason.
MESSAGES = {
    Unavailable.INACTIVE: N_("service %(service)s is not offered now"),
    Unavailable.BEFORE_HOURS: N_("service %(service)s has not opened yet"),
    Unavailable.AFTER_HOURS: N_("service %(service)s is closed for today"),
    Unavailable.DAILY_CAP: N_("today's tickets for service %(service)s are all taken"),
}

_sequences, _services = DailySequence.__table__, Service.__table__
_ISSUED = (
    select(_sequences.c.service_id, _sequences.c.last)
    .join(_services, _services.c.id == _sequences.c.service_id)
    .where(
        _services.c.office_id == bindparam("office_id"),
        _sequences.c.business_date == bindparam("day"),
    )
)


def issued_today(session: Session, office_id: int, day: date) -> dict[int, int]:
    """Numbers each service of the office has handed out on ``day`` (transfers included)."""
    return dict(session.execute(_ISSUED, {"office_id": office_id, "day": day}).all())


def reason(
    *,
    active: bool,
    opens_at: time | None,
    closes_at: time | None,
    daily_cap: int | None,
    issued: int,
    timezone: str,
    now: datetime,
) -> Unavailable | None:
    """Why the service issues no ticket now, or None when it does."""
    if not active:
        return Unavailable.INACTIVE
    local = now.astimezone(zone(timezone)).time()
    if opens_at is not None and local < opens_at:
        return Unavailable.BEFORE_HOURS
    if closes_at is not None and local >= closes_at:
        return Unavailable.AFTER_HOURS
    if daily_cap is not None and issued >= daily_cap:
        return Unavailable.DAILY_CAP
    return None
