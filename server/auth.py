"""Who is calling: bearer tokens for staff and devices, and who may do what.

Tokens are random secrets shown once; only their SHA-256 is stored. A device
token (kiosk, display) is bound to one office; a staff token acts as its user,
who belongs to one office unless an administrator.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from enum import StrEnum

from flask import current_app, g, request
from flask_babel import gettext
from flask_smorest import abort
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from server.engine.cache import cached
from server.engine.clock import utcnow
from server.engine.events import Actor
from server.models import ApiToken, Role, TokenKind, User

TOKEN_PREFIX = "nbt_"


class Caller(StrEnum):
    """Kinds of caller named in the API's *who* column."""

    STAFF = "staff"  # any clerk, manager or administrator
    KIOSK = "kiosk"
    DISPLAY = "display"


@dataclass(frozen=True)
class Principal:
    token_id: int
    kind: TokenKind
    office_id: int | None
    user_id: int | None = None
    role: Role | None = None
    #: A kiosk's own printer setting (None: the server's default).
    printer: str | None = None

    @property
    def caller(self) -> Caller:
        return Caller.STAFF if self.kind is TokenKind.USER else Caller(self.kind.value)

    @property
    def actor(self) -> Actor:
        if self.user_id is not None:
            return Actor(user_id=self.user_id)
        return Actor(device_token_id=self.token_id)

    def belongs_to(self, office_id: int) -> bool:
        """Administrators act in every office; everyone else in their own."""
        return self.role is Role.ADMIN or self.office_id == office_id


def hash_token(secret: str) -> str:
    """How a token is stored and looked up."""
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(
    session: Session,
    *,
    user: User | None = None,
    device: TokenKind | None = None,
    office_id: int | None = None,
    name: str = "",
    printer: str | None = None,
) -> str:
    """Store a new token for a user or a device of an office; return the secret (shown once)."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    kind = TokenKind.USER if user is not None else device
    if kind is None or (kind is TokenKind.USER) != (user is not None):
        raise ValueError("a token is for a user or for a kiosk/display device")
    session.add(
        ApiToken(
            token_hash=hash_token(secret),
            kind=kind,
            user_id=user.id if user else None,
            office_id=user.office_id if user else office_id,
            name=name,
            printer=printer,
            created_at=utcnow(),
        )
    )
    return secret


_tokens, _users = ApiToken.__table__, User.__table__
_PRINCIPAL = (
    select(
        _tokens.c.id,
        _tokens.c.kind,
        _tokens.c.office_id,
        _tokens.c.printer,
        _users.c.id,
        _users.c.role,
        _users.c.office_id,
        _users.c.active,
    )
    .outerjoin(_users, _users.c.id == _tokens.c.user_id)
    .where(_tokens.c.token_hash == bindparam("hash"), _tokens.c.revoked.is_(False))
)


def principal_for(session: Session, secret: str, *, remember: float = 0.0) -> Principal | None:
    """The principal behind a presented secret, or None if unknown, revoked or disabled.

    Every request presents its token. A valid one may be remembered for ``remember``
    seconds (the app's TOKEN_CACHE_SECONDS), so that most requests skip the lookup;
    revoking a token, disabling a user or changing a kiosk's printer then takes
    effect within that time. Unknown secrets are never remembered.
    """
    digest = hash_token(secret)
    return cached(session, "principal", digest, remember, lambda: _look_up(session, digest))


def _look_up(session: Session, digest: str) -> Principal | None:
    row = session.execute(_PRINCIPAL, {"hash": digest}).first()
    if row is None:
        return None
    token_id, kind, token_office, printer, user_id, role, user_office, active = row
    if kind is TokenKind.USER:
        if user_id is None or not active:
            return None
        return Principal(token_id, kind, user_office, user_id, role)
    return Principal(token_id, kind, token_office, printer=printer)


def authenticate(session: Session) -> Principal:
    """The caller of this request, or a 401 (once per request: the result is kept)."""
    if "principal" in g:
        return g.principal
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        abort(401, message=gettext("a bearer token is required"))
    principal = principal_for(
        session, secret.strip(), remember=current_app.config["TOKEN_CACHE_SECONDS"]
    )
    if principal is None:
        abort(401, message=gettext("the token is not valid"))
    g.principal = principal
    return principal


def require(session: Session, office_id: int, *callers: Caller) -> Principal:
    """Allow only ``callers`` acting in ``office_id`` (401/403 otherwise)."""
    principal = authenticate(session)
    if principal.caller not in callers:
        abort(403, message=gettext("this caller may not do this"))
    if not principal.belongs_to(office_id):
        abort(403, message=gettext("this caller belongs to another office"))
    return principal
