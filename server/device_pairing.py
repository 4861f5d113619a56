"""Pairing a kiosk or display by a short code on its screen, approved by a manager.

A kiosk's or display's page without a credential makes a random *pairing secret*,
keeps it, and asks for a pairing (``POST /api/v1/devices/pairings``) with its SHA-256
as the server stores it. It shows the short code it gets (six digits) and polls with
its secret. A manager of the office enters the code on the devices page, with the
device's kind and name; the next poll that presents the secret receives a new device
token, once. Seeing the code on the screen is not enough to take the token: the poll
needs the secret, which never left that browser except to this server.

Nothing secret is ever in a URL. The request needs no credential, so it is bounded
instead: codes live ten minutes, and only so many may wait per office and per address.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from server import auth
from server.hashing import hash_token
from server.models import ApiToken, DevicePairing, TokenKind

#: How long a code may wait for a manager, and for its page to collect the token.
LIFETIME = timedelta(minutes=10)
#: Pending (unexpired, undelivered) requests allowed at once.
PER_OFFICE = 20
PER_ADDRESS = 5
#: The devices that pair themselves: the pages of a kiosk and a wall display.
KINDS = (TokenKind.KIOSK, TokenKind.DISPLAY)


class Refusal(StrEnum):
    """Why a pairing step was refused."""

    UNKNOWN = "unknown"  # no such code (or secret), or in another office
    EXPIRED = "expired"
    USED = "used"  # approved or delivered already
    KIND = "kind"  # the code belongs to another kind of page
    BUSY = "busy"  # too many requests are waiting


class PairingRefused(Exception):
    def __init__(self, reason: Refusal) -> None:
        super().__init__(reason.value)
        self.reason = reason


@dataclass(frozen=True)
class Requested:
    code: str
    expires_at: datetime


@dataclass(frozen=True)
class Polled:
    """``token`` is set once, on the poll after approval."""

    state: str  # "waiting" or "paired"
    expires_at: datetime
    token: str | None = None
    kind: TokenKind | None = None


def _pending(now: datetime):
    return (DevicePairing.expires_at > now, DevicePairing.delivered_at.is_(None))


def request_pairing(
    session: Session, kind: TokenKind, office_id: int, secret: str, address: str, now: datetime
) -> Requested:
    """Store a pairing request of a page; return its code (the caller commits)."""
    if kind not in KINDS:
        raise ValueError("pairing is for kiosks and displays")
    count = select(func.count()).select_from(DevicePairing).where(*_pending(now))
    if (
        session.scalar(count.where(DevicePairing.office_id == office_id)) >= PER_OFFICE
        or session.scalar(count.where(DevicePairing.address == address)) >= PER_ADDRESS
    ):
        raise PairingRefused(Refusal.BUSY)
    digest = hash_token(secret)
    if session.scalar(select(DevicePairing.id).where(DevicePairing.secret_hash == digest)):
        raise PairingRefused(Refusal.USED)  # a secret serves one request
    taken = set(
        session.scalars(
            select(DevicePairing.code).where(DevicePairing.office_id == office_id, *_pending(now))
        )
    )
    code = _new_code(taken)
    session.add(
        DevicePairing(
            code=code,
            secret_hash=digest,
            kind=kind,
            office_id=office_id,
            address=address[:64],
            created_at=now,
            expires_at=now + LIFETIME,
        )
    )
    return Requested(code, now + LIFETIME)


def _new_code(taken: set[str]) -> str:
    while True:  # at most PER_OFFICE of a million are taken
        code = f"{secrets.randbelow(1_000_000):06d}"
        if code not in taken:
            return code


def approve(
    session: Session,
    office_id: int,
    code: str,
    kind: TokenKind,
    name: str,
    user_id: int | None,
    now: datetime,
) -> DevicePairing:
    """A manager approves a code shown in their office (the caller commits)."""
    found = session.scalars(
        select(DevicePairing)
        .where(DevicePairing.office_id == office_id, DevicePairing.code == code)
        .order_by(DevicePairing.created_at.desc())
        .with_for_update()
    ).first()
    if found is None:
        raise PairingRefused(Refusal.UNKNOWN)
    if found.approved_at is not None or found.delivered_at is not None:
        raise PairingRefused(Refusal.USED)
    if found.expires_at <= now:
        raise PairingRefused(Refusal.EXPIRED)
    if found.kind is not kind:
        raise PairingRefused(Refusal.KIND)
    found.approved_at, found.approved_by, found.name = now, user_id, name
    return found


def poll(session: Session, secret: str, now: datetime) -> Polled:
    """The page's poll: still waiting, or (once) its new token (the caller commits)."""
    found = session.scalar(
        select(DevicePairing)
        .where(DevicePairing.secret_hash == hash_token(secret))
        .with_for_update()
    )
    if found is None:
        raise PairingRefused(Refusal.UNKNOWN)
    if found.delivered_at is not None:
        raise PairingRefused(Refusal.USED)
    if found.expires_at <= now:
        raise PairingRefused(Refusal.EXPIRED)
    if found.approved_at is None:
        return Polled("waiting", found.expires_at)
    # Only one poll may deliver: the row is marked first, in the same statement's terms.
    marked = session.execute(
        update(DevicePairing)
        .where(DevicePairing.id == found.id, DevicePairing.delivered_at.is_(None))
        .values(delivered_at=now)
    )
    if marked.rowcount != 1:
        raise PairingRefused(Refusal.USED)
    token = auth.create_token(
        session, device=found.kind, office_id=found.office_id, name=found.name or "paired"
    )
    session.flush()
    found.token_id = session.scalar(
        select(ApiToken.id).where(ApiToken.token_hash == hash_token(token))
    )
    return Polled("paired", found.expires_at, token, found.kind)
