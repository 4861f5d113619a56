"""The audit log: who changed what in an office's set-up, when, and how it was before."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from server.database import Base, UTCDateTime


class AuditEntry(Base):
    """One administrative action. Kept when its actor or office is gone: it is the record."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_office_at", "office_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id", ondelete="SET NULL"))
    #: The staff user who acted (None: a device, or the command line).
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: Who acted, as shown: a user name, a device's name, or "command line".
    actor: Mapped[str] = mapped_column(String(100))
    #: What was done, a dotted name: ``display_settings.change``, ``tickets.cancel``…
    action: Mapped[str] = mapped_column(String(64))
    #: What it was done to, as shown: an office code, a service, a ticket range…
    target: Mapped[str] = mapped_column(String(200), default="")
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
