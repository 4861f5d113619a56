"""Offices, their services and counters, and which counter serves what."""

from __future__ import annotations

from datetime import time
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    Time,
    UniqueConstraint,
    true,
)
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.database import Base
from server.models._types import enum_column


class CounterState(StrEnum):
    OPEN = "open"
    PAUSED = "paused"
    CLOSED = "closed"


#: Why a clerk paused the counter; statistics report pause time by reason.
PAUSE_REASONS = ("break", "prayer", "lunch", "system")


class Office(Base):
    __tablename__ = "offices"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_fa: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Tehran")
    routing_policy: Mapped[str] = mapped_column(String(32), default="tiered")
    # Last sequence number handed to a live event of this office; allocated in the
    # same transaction as the change so that numbers are gap-free across processes.
    event_seq: Mapped[int] = mapped_column(Integer, default=0)
    # The wall display's voice: spoken calls on or off, in which languages (in the order
    # spoken, e.g. "fa,en"), at what volume (0–100), and silent between two local times.
    voice_enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    voice_languages: Mapped[str] = mapped_column(String(16), default="fa", server_default="fa")
    voice_volume: Mapped[int] = mapped_column(Integer, default=80, server_default="80")
    quiet_from: Mapped[time | None] = mapped_column(Time)
    quiet_until: Mapped[time | None] = mapped_column(Time)
    # A line the manager runs along the foot of the wall displays (none: no ticker).
    display_message: Mapped[str | None] = mapped_column(String(300))

    services: Mapped[list[Service]] = relationship(
        back_populates="office", order_by="Service.position"
    )
    counters: Mapped[list[Counter]] = relationship(
        back_populates="office", order_by="Counter.number"
    )


class Service(Base):
    __tablename__ = "services"
    __table_args__ = (
        UniqueConstraint("office_id", "code"),
        UniqueConstraint("office_id", "letter"),
        CheckConstraint("target_wait_seconds > 0", name="target_wait_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(32))
    letter: Mapped[str] = mapped_column(String(2))
    name_fa: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    group: Mapped[str] = mapped_column(String(32))
    target_wait_seconds: Mapped[int] = mapped_column(default=900)
    active: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int] = mapped_column(default=0)
    # Local opening hours of the service (none: whenever the office issues tickets).
    opens_at: Mapped[time | None] = mapped_column(Time)
    closes_at: Mapped[time | None] = mapped_column(Time)
    # At most this many tickets a day (none: no limit).
    daily_cap: Mapped[int | None]

    office: Mapped[Office] = relationship(back_populates="services")


def _english_name(context: DefaultExecutionContext) -> str:
    return f"Counter {context.get_current_parameters()['number']}"


class Counter(Base):
    __tablename__ = "counters"
    __table_args__ = (UniqueConstraint("office_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"))
    number: Mapped[int]
    name: Mapped[str] = mapped_column(String(100))
    # The counter's name on English pages ("Counter 3" unless told otherwise).
    name_en: Mapped[str] = mapped_column(String(100), default=_english_name)
    state: Mapped[CounterState] = mapped_column(
        enum_column(CounterState), default=CounterState.CLOSED
    )
    clerk_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # While paused: one of PAUSE_REASONS.
    pause_reason: Mapped[str | None] = mapped_column(String(16))
    # Consecutive priority tickets this counter has called: the starvation bound.
    priority_streak: Mapped[int] = mapped_column(default=0)

    office: Mapped[Office] = relationship(back_populates="counters")
    links: Mapped[list[CounterService]] = relationship(
        back_populates="counter", order_by="CounterService.tier", cascade="all, delete-orphan"
    )


class CounterService(Base):
    """A counter serves a service at a tier: 1 is primary, 2 secondary, and so on."""

    __tablename__ = "counter_services"
    __table_args__ = (CheckConstraint("tier >= 1", name="tier_positive"),)

    counter_id: Mapped[int] = mapped_column(
        ForeignKey("counters.id", ondelete="CASCADE"), primary_key=True
    )
    service_id: Mapped[int] = mapped_column(
        ForeignKey("services.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    tier: Mapped[int] = mapped_column(default=1)

    counter: Mapped[Counter] = relationship(back_populates="links")
    service: Mapped[Service] = relationship()
