"""Print jobs: every ticket printed, or not, leaves a row, so a fault is never silent."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from server.database import Base, UTCDateTime
from server.models._types import enum_column


class PrintState(StrEnum):
    PENDING = "pending"  # waiting for its printer or print agent
    PRINTED = "printed"
    FAILED = "failed"  # the printer reported a fault; the reason says which
    STALE = "stale"  # too old to print when the printer came back: never printed late


class PrintJob(Base):
    __tablename__ = "print_jobs"
    __table_args__ = (
        Index("ix_print_jobs_kiosk_state", "kiosk_token_id", "state", "created_at"),
        Index("ix_print_jobs_office_created", "office_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    kiosk_token_id: Mapped[int | None] = mapped_column(
        ForeignKey("api_tokens.id", ondelete="SET NULL")
    )
    # A printer URL the server drives itself (preview://, tcp://…), or "agent".
    printer: Mapped[str] = mapped_column(String(200))
    state: Mapped[PrintState] = mapped_column(enum_column(PrintState), default=PrintState.PENDING)
    reason: Mapped[str | None] = mapped_column(String(32))
    message: Mapped[str | None] = mapped_column(String(300))
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    preview: Mapped[str | None] = mapped_column(String(200))
    # The language the citizen chose at the kiosk: the ticket prints in it.
    language: Mapped[str] = mapped_column(String(2), default="fa")
