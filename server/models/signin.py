"""Staff sign-in in the browser: sessions behind a cookie, and failed sign-ins counted."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from server.database import Base, UTCDateTime
from server.models._types import enum_column


class StaffSession(Base):
    """A signed-in browser. The cookie holds a random secret; only its SHA-256 is kept.

    Looked up on every request, so ending it (sign-out) or disabling its user takes
    effect at once in every process. Rows stay after they end: who signed in, when
    and from where.
    """

    __tablename__ = "staff_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The client as the server saw it (behind NOBAT_PROXIES trusted proxies: the real one).
    address: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(300), default="")


class ThrottleScope(StrEnum):
    """What failed sign-ins are counted against."""

    NAME = "name"  # the user name typed, whether or not such a user exists
    ADDRESS = "address"  # the client's address


class SignInFailures(Base):
    """Recent failed sign-ins of one user name or one address, and until when it must wait."""

    __tablename__ = "sign_in_failures"

    scope: Mapped[ThrottleScope] = mapped_column(enum_column(ThrottleScope), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    last_failed_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
