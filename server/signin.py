"""Staff sign-in and sign-out pages (Persian first), and what templates need of them.

A clerk lands on their office's counter page, a manager on their office's dashboard,
an administrator on the start page, unless the sign-in was asked for by a page
(``?next=``), which is then where they go back to. Every refusal reads the same
whether the name or the password was wrong; repeated failures are throttled
(``server/throttle.py``).
"""

from __future__ import annotations

import math
from datetime import timedelta
from urllib.parse import quote, urlsplit

from flask import Blueprint, Flask, Response, make_response, redirect, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import get_locale, gettext, ngettext
from sqlalchemy import select

from server import csrf, limits, staff_sessions, throttle
from server.auth import signed_in
from server.engine.clock import utcnow
from server.extensions import db
from server.models import Role, User
from server.passwords import DUMMY_HASH, check_password, hash_password, needs_rehash
from server.persian import persian_digits
from server.staff_sessions import StaffUser

bp = Blueprint("signin", __name__)

_NEXT_LIMIT = 512


@bp.get("/login")
def form() -> ResponseReturnValue:
    """The sign-in form; a browser already signed in goes straight on."""
    target = safe_next(request.args.get("next"))
    user = signed_in(db.session)
    if user is not None:
        return redirect(target or landing(user.role, user.office_code), 303)
    return _form_page(target)


@bp.post("/login")
@limits.sign_in_limits
def submit() -> ResponseReturnValue:
    """Check the name and password; on success open a session (cookie) and go on."""
    target = safe_next(request.form.get("next"))
    name = request.form.get("username", "").strip()
    nonce = request.cookies.get(csrf.SIGN_IN_COOKIE, "")
    if not nonce or not csrf.is_valid(csrf.sign_in_token(nonce)):
        message = gettext("The sign-in form had expired. Please sign in again.")
        return _form_page(target, message, 403, name)
    now, address = utcnow(), request.remote_addr or ""
    waiting = throttle.wait(db.session, name, address, now)
    if waiting is not None:
        return _throttled(target, name, waiting)
    user = _user(name, request.form.get("password", ""))
    if user is None:
        throttle.failed(db.session, name, address, now)
        db.session.commit()
        return _form_page(target, gettext("The user name or the password is wrong."), 401, name)
    throttle.succeeded(db.session, name)
    if (previous := staff_sessions.presented()) is not None:
        staff_sessions.end(db.session, previous)  # one session per browser
    secret = staff_sessions.open_session(
        db.session, user, address=address, user_agent=request.user_agent.string
    )
    db.session.commit()
    office = user.office.code if user.office is not None else None
    response = redirect(target or landing(user.role, office), 303)
    staff_sessions.set_cookie(response, secret)
    csrf.clear_sign_in_cookie(response)
    return response


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    """End this browser's session on the server and make it forget the cookie."""
    secret = staff_sessions.presented()
    if secret is not None and signed_in(db.session) is not None:
        csrf.verify(csrf.session_token(secret))
        staff_sessions.end(db.session, secret)
        db.session.commit()
    response = redirect(f"/login{_lang_query()}", 303)
    staff_sessions.clear_cookie(response)
    return response


def safe_next(value: str | None) -> str | None:
    """A path of this site to go back to after signing in, or None.

    Only a plain path: ``//host`` and ``/\\host`` lead a browser to another site, as does
    any scheme, and browsers drop tabs and newlines before reading a URL.
    """
    if not value or len(value) > _NEXT_LIMIT or not value.startswith("/"):
        return None
    if value.startswith("//") or "\\" in value or any(ord(c) < 0x20 or c == "\x7f" for c in value):
        return None
    parts = urlsplit(value)
    return value if not parts.scheme and not parts.netloc else None


def landing(role: Role, office_code: str | None) -> str:
    """Where a user goes after signing in: a clerk to their counter page, a manager to their
    office's dashboard, an administrator to the start page."""
    if role is Role.CLERK and office_code:
        return f"/counter/{quote(office_code)}{_lang_query()}"
    if role is Role.MANAGER and office_code:
        return f"/manager/{quote(office_code)}{_lang_query()}"
    return f"/{_lang_query()}"


def csrf_token() -> str:
    """The signed-in session's CSRF token for a page (its meta tag, its forms), else ""."""
    secret = staff_sessions.presented()
    return csrf.session_token(secret) if secret and signed_in(db.session) else ""


def signed_in_user() -> StaffUser | None:
    """Who is signed in in this browser, for templates."""
    return signed_in(db.session)


def _user(name: str, password: str) -> User | None:
    """The active user with this name and password, in the same time whatever is wrong."""
    user = db.session.scalar(select(User).where(User.username == name)) if name else None
    matches = check_password(user.password_hash if user is not None else DUMMY_HASH, password)
    if user is None or not matches or not user.active:
        return None
    if needs_rehash(user.password_hash):
        # The password is at hand only now: keep it under today's parameters.
        user.password_hash = hash_password(password)
    return user


def _throttled(target: str | None, name: str, waiting: timedelta) -> Response:
    seconds = math.ceil(waiting.total_seconds())
    minutes = math.ceil(seconds / 60)
    message = ngettext(
        "Too many failed sign-ins; try again in %(minutes)s minute.",
        "Too many failed sign-ins; try again in %(minutes)s minutes.",
        minutes,
        minutes=_digits(minutes),
    )
    response = _form_page(target, message, 429, name)
    response.headers["Retry-After"] = str(seconds)
    return response


def _form_page(
    target: str | None, problem: str | None = None, status: int = 200, name: str = ""
) -> Response:
    """The form, with the sign-in cookie its hidden token is bound to."""
    nonce = csrf.sign_in_nonce()
    page = render_template(
        "login.html",
        next=target,
        problem=problem,
        username=name[:64],
        form_token=csrf.sign_in_token(nonce),
    )
    response = make_response(page, status)
    response.headers["Cache-Control"] = "no-store"
    csrf.set_sign_in_cookie(response, nonce)
    return response


def _english() -> bool:
    return get_locale() is not None and get_locale().language == "en"


def _lang_query() -> str:
    return "?lang=en" if _english() else ""


def _digits(value: int) -> str:
    return str(value) if _english() else persian_digits(value)


def init_app(app: Flask) -> None:
    """The pages, and ``csrf_token()`` and ``signed_in_user()`` for every template."""
    app.register_blueprint(bp)
    app.add_template_global(csrf_token)
    app.add_template_global(signed_in_user)
