"""Time in one place: UTC for storage, the office's local date for business days."""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import cache
from zoneinfo import ZoneInfo


def utcnow() -> datetime:
    """Now, as an aware UTC datetime."""
    return datetime.now(UTC)


@cache
def zone(name: str) -> ZoneInfo:
    """A cached time zone: ZoneInfo look-ups are not free on the hot path."""
    return ZoneInfo(name)


def business_date(timezone: str, at: datetime) -> date:
    """The office's local calendar date at ``at``: numbers reset at local midnight, not UTC."""
    return at.astimezone(zone(timezone)).date()
