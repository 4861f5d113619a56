"""Who is calling: bearer tokens for devices and scripts, session cookies for staff pages.

Tokens are random secrets shown once; only their SHA-256 is stored. A device
token (kiosk, display) is bound to one office, a counter device's also to one
counter; a staff token acts as its user, who belongs to one office unless an
administrator (every office) or a regional manager (also the offices of
``manager_offices``). Staff in a browser sign in instead (``server/signin.py``): a
session cookie (``server/staff_sessions.py``), whose state-changing requests must
carry a CSRF token (``server/csrf.py``). A request with an ``Authorization``
header is judged by it alone: its cookies are not looked at.
"""

from __future__ import annotations

import logging
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

import flask
from flask import current_app, g, redirect, request, url_for
from flask_babel import get_locale, gettext
from flask_smorest import abort
from sqlalchemy import bindparam, or_, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from server import csrf, staff_sessions
from server.engine.cache import cached, drop, keep
from server.engine.clock import utcnow
from server.engine.events import Actor
from server.hashing import hash_token
from server.models import ApiToken, Counter, ManagerOffice, Role, TokenKind, User
from server.staff_sessions import StaffUser

TOKEN_PREFIX = "nbt_"
#: A token's ``last_seen_at`` is written at most this often (per process and in the row).
SEEN_EVERY = timedelta(minutes=1)

log = logging.getLogger(__name__)


class Caller(StrEnum):
    """Kinds of caller named in the API's *who* column."""

    STAFF = "staff"  # any clerk, manager or administrator
    KIOSK = "kiosk"
    DISPLAY = "display"
    COUNTER = "counter"  # a keypad or LED display at one counter (no endpoint allows it yet)


@dataclass(frozen=True)
class Principal:
    #: The bearer token presented (None for a signed-in browser).
    token_id: int | None
    kind: TokenKind
    office_id: int | None
    user_id: int | None = None
    role: Role | None = None
    #: A kiosk's own printer setting (None: the server's default).
    printer: str | None = None
    #: The staff session of a signed-in browser.
    session_id: int | None = None
    #: A counter device's counter.
    counter_id: int | None = None
    #: A regional manager's other offices (``manager_offices``), where they act as in their own.
    offices: frozenset[int] = frozenset()

    @property
    def caller(self) -> Caller:
        return Caller.STAFF if self.kind is TokenKind.USER else Caller(self.kind.value)

    @property
    def actor(self) -> Actor:
        if self.user_id is not None:
            return Actor(user_id=self.user_id)
        return Actor(device_token_id=self.token_id)

    def belongs_to(self, office_id: int) -> bool:
        """Administrators act in every office; a regional manager in each of their offices;
        everyone else in their own."""
        return self.role is Role.ADMIN or self.office_id == office_id or office_id in self.offices


def create_token(
    session: Session,
    *,
    user: User | None = None,
    device: TokenKind | None = None,
    office_id: int | None = None,
    counter: Counter | None = None,
    name: str = "",
    printer: str | None = None,
) -> str:
    """Store a new token for a user or a device of an office; return the secret (shown once).

    A counter device's token is bound to its ``counter`` (and that counter's office).
    """
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    kind = TokenKind.USER if user is not None else device
    if kind is None or (kind is TokenKind.USER) != (user is not None):
        raise ValueError("a token is for a user or for a kiosk/display/counter device")
    if (kind is TokenKind.COUNTER) != (counter is not None):
        raise ValueError("a counter device's token, and only one, is bound to a counter")
    session.add(
        ApiToken(
            token_hash=hash_token(secret),
            kind=kind,
            user_id=user.id if user else None,
            office_id=user.office_id if user else counter.office_id if counter else office_id,
            counter_id=counter.id if counter else None,
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
        _tokens.c.counter_id,
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
    principal = cached(session, "principal", digest, remember, lambda: _look_up(session, digest))
    if principal is not None and principal.token_id is not None:
        _note_seen(session, digest, principal.token_id)
    return principal


def forget_token(session: Session, token_hash: str) -> None:
    """A revoked token stops working in this process at once (elsewhere within the cache's age)."""
    drop(session, "principal", token_hash)


# When this process last wrote each token's last_seen_at (monotonic seconds), by database
# and token hash (ids may be reused after rows are deleted; hashes are not).
_seen: dict[tuple[str, str], float] = keep("token last seen")


def _note_seen(session: Session, digest: str, token_id: int) -> None:
    """Write when a token was last seen, at most once a minute: the devices page shows it.

    Committed at once, as authentication comes before a request's own work. The row's
    condition keeps other processes from writing it again within the minute; a write
    that fails does not fail the request (a dead connection fails its next query anyway).
    """
    key, now = (str(session.get_bind().url), digest), time.monotonic()
    if now - _seen.get(key, float("-inf")) < SEEN_EVERY.total_seconds():
        return
    if len(_seen) >= 100_000:
        _seen.clear()
    _seen[key] = now
    at = utcnow()
    try:
        session.execute(
            _tokens.update()
            .where(
                _tokens.c.id == token_id,
                or_(_tokens.c.last_seen_at.is_(None), _tokens.c.last_seen_at < at - SEEN_EVERY),
            )
            .values(last_seen_at=at)
        )
        session.commit()
    except SQLAlchemyError:
        log.warning("could not note when token %s was last seen", token_id, exc_info=True)
        session.rollback()


def _look_up(session: Session, digest: str) -> Principal | None:
    row = session.execute(_PRINCIPAL, {"hash": digest}).first()
    if row is None:
        return None
    token_id, kind, token_office, printer, counter_id, user_id, role, user_office, active = row
    if kind is TokenKind.USER:
        if user_id is None or not active:
            return None
        offices = managed_offices(session, user_id, role)
        return Principal(token_id, kind, user_office, user_id, role, offices=offices)
    return Principal(token_id, kind, token_office, printer=printer, counter_id=counter_id)


def session_principal(session: Session, secret: str) -> Principal | None:
    """The principal of a signed-in browser's session secret, or None (looked up every time)."""
    user = staff_sessions.look_up(session, secret)
    return _staff_principal(session, user) if user is not None else None


def _staff_principal(session: Session, user: StaffUser) -> Principal:
    return Principal(
        None,
        TokenKind.USER,
        user.office_id,
        user.user_id,
        user.role,
        session_id=user.session_id,
        offices=managed_offices(session, user.user_id, user.role),
    )


_MANAGED = select(ManagerOffice.office_id).where(ManagerOffice.user_id == bindparam("user"))


def managed_offices(session: Session, user_id: int, role: Role) -> frozenset[int]:
    """The offices a manager oversees besides their own (none for other roles)."""
    if role is not Role.MANAGER:
        return frozenset()
    return frozenset(session.scalars(_MANAGED, {"user": user_id}))


def authenticate(session: Session) -> Principal:
    """The caller of this request, or a 401 (once per request: the result is kept).

    A bearer token if the request has an ``Authorization`` header, else a signed-in
    browser's session cookie, whose state-changing requests must carry the session's
    CSRF token (403 ``csrf`` otherwise).
    """
    if "principal" in g:
        return g.principal
    if "Authorization" not in request.headers and staff_sessions.presented():
        g.principal = _staff_principal(session, _signed_in_or_401(session))
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


def signed_in(session: Session) -> StaffUser | None:
    """The staff user signed in in this browser, or None: for pages, and never aborts."""
    return staff_sessions.current(session)


def require_signed_in(session: Session) -> StaffUser:
    """The signed-in staff user of a page; an anonymous browser is sent to sign in first.

    It comes back here afterwards (``/login?next=<this page>``). A state-changing
    request must carry the session's CSRF token (403 ``csrf`` otherwise).
    """
    user = signed_in(session)
    if user is None:
        target = request.full_path.rstrip("?") if request.method == "GET" else "/"
        english = get_locale() is not None and get_locale().language == "en"
        flask.abort(redirect(url_for("signin.form", next=target, lang="en" if english else None)))
    _check_csrf()
    return user


def _signed_in_or_401(session: Session) -> StaffUser:
    user = signed_in(session)
    if user is None:
        abort(401, message=gettext("your sign-in has ended; sign in again"))
    _check_csrf()
    return user


def _check_csrf() -> None:
    """A cookie authenticated this request: a change must carry the session's CSRF token."""
    if csrf.changes_state():
        csrf.verify(csrf.session_token(staff_sessions.presented() or ""))
