"""Staff users, API tokens and one-time device links (secrets stored hashed; device
tokens are bound to one office, a counter device's also to one counter)."""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.database import Base, UTCDateTime
from server.models._types import enum_column
from server.models.office import Office


class Role(StrEnum):
    ADMIN = "admin"
    MANAGER = "manager"
    CLERK = "clerk"


#: A name to sign in with: letters (Persian too) and digits, then also ".", "_" or "-".
USERNAME = re.compile(r"[^\W_][\w.-]{0,63}")


class TokenKind(StrEnum):
    USER = "user"
    KIOSK = "kiosk"
    DISPLAY = "display"
    #: A serial keypad or LED display at one counter (``counter/bridge``).
    COUNTER = "counter"


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role = 'admin' OR office_id IS NOT NULL", name="staff_have_office"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[Role] = mapped_column(enum_column(Role))
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"))
    active: Mapped[bool] = mapped_column(default=True)

    office: Mapped[Office | None] = relationship()


class ApiToken(Base):
    __tablename__ = "api_tokens"
    __table_args__ = (
        CheckConstraint(
            "(kind = 'user' AND user_id IS NOT NULL) OR (kind <> 'user' AND office_id IS NOT NULL)",
            name="token_has_owner",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # SHA-256 of the secret: a leaked database does not leak usable tokens.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[TokenKind] = mapped_column(enum_column(TokenKind))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"))
    # Counter devices only: the counter they sit at (in the token's office).
    counter_id: Mapped[int | None] = mapped_column(ForeignKey("counters.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked: Mapped[bool] = mapped_column(default=False)
    # Kiosks only: where their tickets print (a printer URL, or "agent" for a print agent).
    printer: Mapped[str | None] = mapped_column(String(200))
    # Kiosks with a print agent: when the agent last said it was alive.
    agent_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the token last authenticated (written at most once a minute per token).
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User | None] = relationship()
    office: Mapped[Office | None] = relationship()


class DeviceLink(Base):
    """A one-time code that a kiosk's or display's page trades for a new device token.

    The code travels in a URL fragment (``/kiosk/amol#link=…``), so it never reaches a
    server log; only its SHA-256 is kept, and it works once, until ``expires_at``.
    """

    __tablename__ = "device_links"
    __table_args__ = (
        CheckConstraint("kind IN ('kiosk', 'display')", name="link_is_for_a_page_device"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[TokenKind] = mapped_column(enum_column(TokenKind))
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The token the code was exchanged for.
    token_id: Mapped[int | None] = mapped_column(ForeignKey("api_tokens.id", ondelete="SET NULL"))


class DevicePairing(Base):
    """A kiosk's or display's page asking to be paired: a short code on its screen.

    The page made a random secret and sent it with the request; only its SHA-256 is
    kept. A manager of the office approves the code (kind and name); the page's next
    poll, which presents the secret, receives a new device token, once. The code alone
    (seen on the screen) does not deliver the token.
    """

    __tablename__ = "device_pairings"
    __table_args__ = (
        CheckConstraint("kind IN ('kiosk', 'display')", name="pairing_is_for_a_page_device"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(6), index=True)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The page that asked (``/kiosk/<office>`` or ``/display/<office>``).
    kind: Mapped[TokenKind] = mapped_column(enum_column(TokenKind))
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"))
    # Where the request came from (bounds how many one address may have pending).
    address: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The name the manager gave the device.
    name: Mapped[str] = mapped_column(String(100), default="")
    # When the page collected its token, and which.
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    token_id: Mapped[int | None] = mapped_column(ForeignKey("api_tokens.id", ondelete="SET NULL"))
