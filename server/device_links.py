"""One-time device links: a code a kiosk's or display's page trades once for a token.

A newcomer's demo must not start with copying tokens into addresses. ``nobat demo``
and ``nobat device link`` print ``/kiosk/amol#link=<code>``: the code sits in the
URL's fragment, which browsers never send, so it reaches no server log nor Referer.
The page posts it to ``/api/v1/devices/claim``, keeps the device token it gets,
and removes the fragment. A code is 128 random bits (guessing one is hopeless, so
the claim needs no throttle), kept only as its SHA-256, good once and for hours.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.orm import Session

from server import auth
from server.hashing import hash_token
from server.models import ApiToken, DeviceLink, TokenKind

#: The devices that pair themselves by a link, and the page each opens.
PAGES = {TokenKind.KIOSK: "kiosk", TokenKind.DISPLAY: "display"}


class Refusal(StrEnum):
    """Why a code was not exchanged."""

    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"


class LinkRefused(Exception):
    """The code cannot be exchanged: unknown, already used, or expired."""

    def __init__(self, reason: Refusal) -> None:
        super().__init__(reason.value)
        self.reason = reason


@dataclass(frozen=True)
class Claimed:
    """The new device token (its secret, shown only now) and what it is for."""

    token: str
    kind: TokenKind
    office_id: int


def create_link(
    session: Session,
    kind: TokenKind,
    office_id: int,
    *,
    lifetime: timedelta,
    now: datetime,
) -> str:
    """Store a new one-time link for a kiosk or display of an office; return its code."""
    if kind not in PAGES:
        raise ValueError("links are for kiosks and displays")
    code = secrets.token_urlsafe(16)
    session.add(
        DeviceLink(
            code_hash=hash_token(code),
            kind=kind,
            office_id=office_id,
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    return code


def link_url(base_url: str, kind: TokenKind, office_code: str, code: str) -> str:
    """The address that pairs a device: its page, with the code in the fragment."""
    return f"{base_url.rstrip('/')}/{PAGES[kind]}/{quote(office_code)}#link={code}"


def claim(session: Session, code: str, now: datetime) -> Claimed:
    """Exchange a code for a new device token, once (the caller commits)."""
    link = session.scalar(
        select(DeviceLink).where(DeviceLink.code_hash == hash_token(code)).with_for_update()
    )
    if link is None:
        raise LinkRefused(Refusal.UNKNOWN)
    if link.used_at is not None:
        raise LinkRefused(Refusal.USED)
    if link.expires_at <= now:
        raise LinkRefused(Refusal.EXPIRED)
    token = auth.create_token(session, device=link.kind, office_id=link.office_id, name="linked")
    session.flush()
    link.used_at = now
    link.token_id = session.scalar(
        select(ApiToken.id).where(ApiToken.token_hash == hash_token(token))
    )
    return Claimed(token, link.kind, link.office_id)
