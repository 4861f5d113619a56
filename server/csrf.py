"""Cross-site request forgery: what a cookie-authenticated change must carry.

A browser sends its cookies with every request to this server, also with those
another site's page makes it send. So every state-changing request that the session
cookie authenticates must prove it comes from one of our own pages: an
``X-CSRF-Token`` header (scripts) or a page's ``csrf_token`` form field, equal to an HMAC
of the session's secret hash under the app's secret key. Nothing is stored: the
token lives and dies with its session. An ``Origin`` naming another site is refused
too. Bearer-token callers send no cookie and need none of this.

The sign-in form has its own token (login CSRF: another site must not sign a
browser in as someone else), bound the same way to a short-lived random cookie.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from urllib.parse import urlsplit

from flask import Response, current_app, request
from flask_babel import gettext
from flask_smorest import abort

from server.hashing import hash_token

HEADER = "X-CSRF-Token"
FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

#: The sign-in form's cookie: a random value its hidden field's token is bound to.
SIGN_IN_COOKIE = "nobat_signin"
SIGN_IN_SECONDS = 2 * 3600


def session_token(secret: str) -> str:
    """The CSRF token of the session whose cookie secret is ``secret``."""
    return _sign("session", hash_token(secret))


def sign_in_token(nonce: str) -> str:
    """The sign-in form's token for the random value in its cookie."""
    return _sign("sign-in", nonce)


def changes_state() -> bool:
    """Whether this request may change something (anything but GET, HEAD, OPTIONS)."""
    return request.method not in SAFE_METHODS


def verify(expected: str) -> None:
    """Refuse (403 ``csrf``) a request without the ``expected`` token, or from another origin."""
    if not _carries(expected):
        abort(403, message=gettext("the request lacks a valid CSRF token"), code="csrf")
    if not same_origin():
        abort(403, message=gettext("the request comes from another site"), code="csrf")


def is_valid(expected: str) -> bool:
    """Whether the request carries the ``expected`` token and comes from this origin."""
    return _carries(expected) and same_origin()


def _carries(expected: str) -> bool:
    given = request.headers.get(HEADER) or _form_field() or ""
    return hmac.compare_digest(given.encode(), expected.encode())


def _form_field() -> str | None:
    """A page's form sends the token as a field; the API takes it from the header only,
    since reading a form consumes the body its own parser wants."""
    return None if request.path.startswith("/api/") else request.form.get(FIELD)


def same_origin() -> bool:
    """False when the browser says the request comes from a page of another origin.

    Browsers send ``Origin`` with every cross-origin request that changes state (and
    ``null`` from sandboxed or privacy-sensitive contexts), so only its absence is
    let through, as from clients that are not browsers.
    """
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    parts = urlsplit(origin)
    return f"{parts.scheme}://{parts.netloc}" == request.host_url.rstrip("/") and not parts.path


def sign_in_nonce() -> str:
    """The sign-in form's random value: the browser's own if it has a plausible one."""
    kept = request.cookies.get(SIGN_IN_COOKIE, "")
    return kept if 32 <= len(kept) <= 64 else secrets.token_urlsafe(32)


def set_sign_in_cookie(response: Response, nonce: str) -> None:
    """Give the browser the random value its sign-in form's token is bound to."""
    response.set_cookie(
        SIGN_IN_COOKIE,
        nonce,
        max_age=SIGN_IN_SECONDS,
        path="/login",
        secure=request.is_secure,
        httponly=True,
        samesite="Strict",
    )


def clear_sign_in_cookie(response: Response) -> None:
    """Signed in: the form's value is of no further use."""
    response.delete_cookie(
        SIGN_IN_COOKIE, path="/login", secure=request.is_secure, httponly=True, samesite="Strict"
    )


def _sign(purpose: str, value: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"nobat-csrf:{purpose}:{value}".encode(), hashlib.sha256).hexdigest()
