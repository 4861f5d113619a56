"""Staff sessions: a random secret in an HttpOnly cookie, and a row saying whose it is.

Flask's cookie session stays off (``server/app.py``): it keeps the signed-in state in
the cookie itself, so the server could not end it at sign-out, nor when a user is
disabled. Here the cookie carries only a random secret; the row behind its SHA-256
says who, until when, and whether it ended, and it is read on every request (never
cached), so both take effect at once in every process. See docs/decisions.md.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import Response, current_app, g, request
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from server.engine.clock import utcnow
from server.hashing import hash_token
from server.models import Office, Role, StaffSession, User

COOKIE = "nobat_session"


@dataclass(frozen=True)
class StaffUser:
    """Who is signed in, as a page needs it: to greet them, route them and check their office."""

    session_id: int
    user_id: int
    username: str
    full_name: str
    role: Role
    office_id: int | None
    office_code: str | None

    def belongs_to(self, office_id: int) -> bool:
        """Administrators act in every office; everyone else in their own."""
        return self.role is Role.ADMIN or self.office_id == office_id


_sessions, _users, _offices = StaffSession.__table__, User.__table__, Office.__table__
_LIVE = (
    select(
        _sessions.c.id,
        _users.c.id,
        _users.c.username,
        _users.c.full_name,
        _users.c.role,
        _users.c.office_id,
        _offices.c.code,
    )
    .join(_users, _users.c.id == _sessions.c.user_id)
    .outerjoin(_offices, _offices.c.id == _users.c.office_id)
    .where(
        _sessions.c.secret_hash == bindparam("hash"),
        _sessions.c.ended_at.is_(None),
        _sessions.c.expires_at > bindparam("now"),
        _users.c.active.is_(True),
    )
)


def open_session(session: Session, user: User, *, address: str, user_agent: str) -> str:
    """Store a new session of ``user``; return its secret, for the cookie only."""
    secret = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        StaffSession(
            secret_hash=hash_token(secret),
            user_id=user.id,
            created_at=now,
            expires_at=now + _lifetime(),
            address=address[:64],
            user_agent=user_agent[:300],
        )
    )
    return secret


def look_up(session: Session, secret: str) -> StaffUser | None:
    """The user of a live session (not ended, not expired, user still active), or None."""
    row = session.execute(_LIVE, {"hash": hash_token(secret), "now": utcnow()}).first()
    return StaffUser(*row) if row is not None else None


def end(session: Session, secret: str) -> None:
    """Sign out: the session is refused from now on, whoever presents its cookie."""
    session.execute(
        update(StaffSession)
        .where(StaffSession.secret_hash == hash_token(secret), StaffSession.ended_at.is_(None))
        .values(ended_at=utcnow())
    )


def end_all(session: Session, user_id: int) -> int:
    """End every open session of a user (when disabled); how many there were."""
    result = session.execute(
        update(StaffSession)
        .where(StaffSession.user_id == user_id, StaffSession.ended_at.is_(None))
        .values(ended_at=utcnow())
    )
    return result.rowcount


def presented() -> str | None:
    """The session secret this request's cookie carries, if any."""
    return request.cookies.get(COOKIE) or None


def current(session: Session) -> StaffUser | None:
    """The signed-in user of this request, looked up once per request."""
    if "staff_user" not in g:
        secret = presented()
        g.staff_user = look_up(session, secret) if secret else None
    return g.staff_user


def set_cookie(response: Response, secret: str) -> None:
    """Hand the browser its session: unreadable by scripts, never sent by other sites' pages."""
    response.set_cookie(
        COOKIE,
        secret,
        max_age=int(_lifetime().total_seconds()),
        path="/",
        secure=request.is_secure,
        httponly=True,
        samesite="Strict",
    )


def clear_cookie(response: Response) -> None:
    """Make the browser forget its session cookie."""
    response.delete_cookie(
        COOKIE, path="/", secure=request.is_secure, httponly=True, samesite="Strict"
    )


def _lifetime() -> timedelta:
    return timedelta(hours=current_app.config["SESSION_HOURS"])
