"""Staff sign in and out in a browser: the form, where they land, sessions that end.

Office amol's staff (``tokens``): clerk1, clerk2, manager, admin; babol's babol-clerk.
Everyone's password is ``secret``.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
import time_machine
from flask import Flask
from sqlalchemy import select

from server import signin
from server.app import create_app
from server.auth import require_signed_in
from server.config import TestingConfig
from server.database import Base
from server.engine.clock import utcnow
from server.extensions import db
from server.models import StaffSession, User
from server.passwords import DUMMY_HASH, check_password
from tests.conftest import close, people
from tests.sign_in import (
    cookie_attributes,
    csrf_token,
    form_token,
    problem,
    session_secret,
    sign_in,
)

SERVICES = "/api/v1/offices/amol/services"
WRONG = "نام کاربری یا گذرواژه نادرست است."


def test_a_clerk_signs_in_and_lands_on_the_counter_page_of_their_office(client, tokens):
    response = sign_in(client, "clerk1")
    assert response.status_code == 303
    assert response.headers["Location"] == "/counter/amol"
    assert client.get(SERVICES).status_code == 200


def test_a_password_hashed_with_older_parameters_is_rehashed_when_its_owner_signs_in(
    app, client, tokens
):
    salt = "ab" * 16
    old = hashlib.scrypt(b"secret", salt=bytes.fromhex(salt), n=2**12, r=8, p=1, dklen=32)
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "clerk1"))
        user.password_hash = f"scrypt${2**12}$8$1${salt}${old.hex()}"
        db.session.commit()
    assert sign_in(client, "clerk1").status_code == 303
    with app.app_context():
        stored = db.session.scalar(select(User.password_hash).where(User.username == "clerk1"))
    assert stored.startswith(f"scrypt${2**14}$8$1$") and check_password(stored, "secret")


def test_a_manager_lands_on_their_office_dashboard(client, tokens):
    response = sign_in(client, "manager")
    assert (response.status_code, response.headers["Location"]) == (303, "/manager/amol")


def test_an_administrator_lands_on_the_start_page(client, tokens):
    response = sign_in(client, "admin")
    assert (response.status_code, response.headers["Location"]) == (303, "/")


def test_an_english_sign_in_lands_on_an_english_page(client, tokens):
    assert sign_in(client, "clerk1", lang="en").headers["Location"] == "/counter/amol?lang=en"


def test_the_session_cookie_is_http_only_same_site_and_lasts_a_working_day(client, tokens):
    cookie = cookie_attributes(sign_in(client, "clerk1"), "nobat_session")
    assert len(cookie["value"]) >= 43
    assert "httponly" in cookie
    assert cookie["samesite"] == "Strict"
    assert cookie["path"] == "/"
    assert cookie["max-age"] == str(10 * 3600)
    assert "secure" not in cookie  # plain HTTP here; see the TLS tests below


def test_the_session_lasts_as_many_hours_as_configured(app, client, tokens, monkeypatch):
    monkeypatch.setitem(app.config, "SESSION_HOURS", 2)
    assert cookie_attributes(sign_in(client, "clerk1"), "nobat_session")["max-age"] == "7200"


def test_only_the_secrets_hash_is_stored_with_who_when_and_from_where(app, client, tokens):
    sign_in(client, "clerk1", address="10.1.2.3")
    with app.app_context():
        stored = db.session.scalars(select(StaffSession)).one()
        user = db.session.get(User, stored.user_id)
    assert user.username == "clerk1"
    assert stored.secret_hash != session_secret(client)
    assert stored.address == "10.1.2.3"
    assert stored.user_agent.startswith("Werkzeug")
    assert stored.expires_at - stored.created_at == timedelta(hours=10)
    assert stored.ended_at is None


# --- where a sign-in goes back to -----------------------------------------------------


def test_a_sign_in_asked_for_by_a_page_goes_back_to_it(client, tokens):
    response = sign_in(client, "clerk1", next="/counter/amol?lang=en")
    assert response.headers["Location"] == "/counter/amol?lang=en"


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/",
        "/\\evil.example/",
        "https://evil.example/",
        "javascript:alert(1)",
        "/\t/evil.example/",
        "/\n/evil.example/",
        "evil.example",
        "",
        "/" + "a" * 600,
    ],
    ids=["scheme-relative", "backslash", "scheme", "javascript", "tab", "newline", "relative",
         "empty", "too long"],
)  # fmt: skip
def test_next_never_leads_to_another_site(client, tokens, target):
    assert sign_in(client, "clerk1", next=target).headers["Location"] == "/counter/amol"


def test_a_page_requiring_sign_in_sends_an_anonymous_browser_to_the_form_and_back(
    own_app: Flask,
):
    own_app.add_url_rule(
        "/staff-only", "staff_only", lambda: require_signed_in(db.session).username
    )
    client = own_app.test_client()
    response = client.get("/staff-only?lang=en")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/staff-only?lang%3Den&lang=en"
    form = client.get(response.headers["Location"])
    assert 'name="next" value="/staff-only?lang=en"' in form.get_data(as_text=True)
    assert sign_in(client, "clerk1", next="/staff-only?lang=en").headers["Location"] == (
        "/staff-only?lang=en"
    )
    assert client.get("/staff-only").get_data(as_text=True) == "clerk1"


def test_a_signed_in_browser_opening_the_form_goes_straight_on(client, tokens):
    sign_in(client, "manager")
    assert client.get("/login").headers["Location"] == "/manager/amol"
    assert client.get("/login?next=/display/amol").headers["Location"] == "/display/amol"


# --- refusals -------------------------------------------------------------------------


def test_a_wrong_password_and_an_unknown_user_get_the_same_answer(client, tokens):
    wrong = sign_in(client, "clerk1", "not the password")
    unknown = sign_in(client, "nobody", "secret")
    assert (wrong.status_code, unknown.status_code) == (401, 401)
    assert problem(wrong) == problem(unknown) == WRONG
    assert session_secret(client) is None
    assert client.get(SERVICES).status_code == 401


def test_an_unknown_user_costs_a_password_check_like_a_known_one(client, tokens, monkeypatch):
    checked: list[str] = []
    real = signin.check_password

    def check(stored: str, given: str) -> bool:
        checked.append(stored)
        return real(stored, given)

    monkeypatch.setattr(signin, "check_password", check)
    sign_in(client, "nobody", "secret")
    sign_in(client, "clerk1", "wrong")
    assert checked[0] == DUMMY_HASH
    assert checked[1] != DUMMY_HASH and checked[1].split("$")[:4] == DUMMY_HASH.split("$")[:4]


def test_a_disabled_user_is_refused_like_a_wrong_password(app, client, tokens):
    disable(app, "clerk1")
    response = sign_in(client, "clerk1")
    assert (response.status_code, problem(response)) == (401, WRONG)


def test_the_english_form_says_it_in_english(client, tokens):
    response = sign_in(client, "clerk1", "wrong", lang="en")
    assert problem(response) == "The user name or the password is wrong."


def test_the_sign_in_form_refuses_a_post_without_its_own_token(client, tokens):
    """Another site must not sign this browser in as someone else (login CSRF)."""
    client.get("/login")
    response = client.post("/login", data={"username": "clerk1", "password": "secret"})
    assert response.status_code == 403
    assert problem(response) == "فرم ورود منقضی شده بود. لطفاً دوباره وارد شوید."
    assert session_secret(client) is None


def test_the_form_token_belongs_to_the_browser_that_opened_the_form(app, client, tokens):
    elsewhere = app.test_client()
    token = form_token(elsewhere.get("/login"))
    client.get("/login")
    data = {"username": "clerk1", "password": "secret", "csrf_token": token}
    assert client.post("/login", data=data).status_code == 403
    assert session_secret(client) is None


def test_the_sign_in_form_refuses_a_post_from_another_site(client, tokens):
    token = form_token(client.get("/login"))
    data = {"username": "clerk1", "password": "secret", "csrf_token": token}
    response = client.post("/login", data=data, headers={"Origin": "http://evil.example"})
    assert response.status_code == 403
    assert session_secret(client) is None


@pytest.mark.parametrize(
    "form",
    [{}, {"username": "x" * 10_000, "password": "p"}, {"username": "", "password": ""}],
    ids=["nothing", "a very long name", "empty"],
)
def test_odd_input_is_a_refusal_not_an_error(client, tokens, form):
    token = form_token(client.get("/login"))
    response = client.post("/login", data={**form, "csrf_token": token})
    assert response.status_code == 401


# --- sessions that end ----------------------------------------------------------------


def test_sign_out_ends_the_session_on_the_server(app, client, tokens):
    sign_in(client, "clerk1")
    secret = session_secret(client)
    response = client.post("/logout", data={"csrf_token": csrf_token(client)})
    assert (response.status_code, response.headers["Location"]) == (303, "/login")
    assert cookie_attributes(response, "nobat_session")["max-age"] == "0"
    client.set_cookie("nobat_session", secret)  # the old cookie, replayed
    assert client.get(SERVICES).status_code == 401
    assert 'action="/logout"' not in client.get("/").get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(StaffSession.ended_at)).one() is not None


def test_sign_out_needs_the_sessions_csrf_token(client, tokens):
    sign_in(client, "clerk1")
    assert client.post("/logout").status_code == 403
    assert client.get(SERVICES).status_code == 200


def test_the_start_page_offers_sign_in_then_says_who_is_signed_in(client, tokens):
    assert 'href="/login?lang=en"' in client.get("/?lang=en").get_data(as_text=True)
    sign_in(client, "manager")
    page = client.get("/?lang=en").get_data(as_text=True)
    assert "Signed in as Manager" in page
    assert 'action="/logout?lang=en"' in page
    assert '<meta name="csrf-token" content="' in page


def test_disabling_a_user_ends_their_open_session_at_once(app, client, tokens):
    sign_in(client, "clerk1")
    assert client.get(SERVICES).status_code == 200
    disable(app, "clerk1")
    assert client.get(SERVICES).status_code == 401
    assert "Signed in as" not in client.get("/?lang=en").get_data(as_text=True)


def test_a_session_is_refused_once_it_has_expired(client, tokens):
    sign_in(client, "clerk1")
    with time_machine.travel(utcnow() + timedelta(hours=9, minutes=59)):
        assert client.get(SERVICES).status_code == 200
    with time_machine.travel(utcnow() + timedelta(hours=10, seconds=1)):
        assert client.get(SERVICES).status_code == 401


def test_signing_in_over_a_session_ends_that_session(app, client, tokens):
    """One session per browser: a sign-in with a tab left from before replaces it."""
    sign_in(client, "clerk1")
    before = session_secret(client)
    client.delete_cookie("nobat_session")
    token = form_token(client.get("/login"))  # as if opened before that sign-in
    client.set_cookie("nobat_session", before)
    data = {"username": "clerk2", "password": "secret", "csrf_token": token}
    assert client.post("/login", data=data).status_code == 303
    other = app.test_client()
    other.set_cookie("nobat_session", before)
    assert other.get(SERVICES).status_code == 401


def test_each_browser_has_its_own_session(app, client, tokens):
    other = app.test_client()
    sign_in(client, "clerk1")
    sign_in(other, "clerk1")
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    assert other.get(SERVICES).status_code == 200


# --- throttling -----------------------------------------------------------------------


def test_a_name_failing_five_times_waits_a_minute_even_with_the_right_password(client, tokens):
    for attempt in range(5):
        assert sign_in(client, "clerk1", "wrong", address=f"10.0.0.{attempt}").status_code == 401
    throttled = sign_in(client, "clerk1", address="10.0.9.9")
    assert throttled.status_code == 429
    assert throttled.headers["Retry-After"] == "60"
    assert problem(throttled) == (
        "تلاش‌های ناموفق برای ورود بیش از حد بوده است؛ ۱ دقیقهٔ دیگر دوباره امتحان کنید."
    )
    assert session_secret(client) is None
    with time_machine.travel(utcnow() + timedelta(seconds=61)):
        assert sign_in(client, "clerk1", address="10.0.9.9").status_code == 303


def test_signing_in_forgets_the_names_failures(app, client, tokens):
    for _ in range(4):
        sign_in(client, "clerk1", "wrong", address="10.0.0.1")
    assert sign_in(client, "clerk1").status_code == 303
    elsewhere = app.test_client()
    for _ in range(4):
        assert sign_in(elsewhere, "clerk1", "wrong", address="10.0.0.1").status_code == 401
    assert sign_in(elsewhere, "clerk1").status_code == 303


def test_an_unknown_name_is_throttled_like_a_known_one(client, tokens):
    for attempt in range(5):
        sign_in(client, "nobody", "wrong", address=f"10.0.0.{attempt}")
    response = sign_in(client, "nobody", "wrong", address="10.0.9.9", lang="en")
    assert response.status_code == 429
    assert problem(response) == "Too many failed sign-ins; try again in 1 minute."


def test_an_address_that_failed_twenty_times_waits_whatever_name_it_tries(client, tokens):
    for attempt in range(20):
        assert sign_in(client, f"guess{attempt}", "wrong", address="10.6.6.6").status_code == 401
    assert sign_in(client, "clerk1", address="10.6.6.6").status_code == 429
    assert sign_in(client, "clerk1", address="10.7.7.7").status_code == 303


def test_a_further_failure_after_the_wait_doubles_it(client, tokens):
    for attempt in range(5):
        sign_in(client, "clerk2", "wrong", address=f"10.0.0.{attempt}")
    with time_machine.travel(utcnow() + timedelta(seconds=61)):
        assert sign_in(client, "clerk2", "wrong", address="10.0.9.9").status_code == 401
        response = sign_in(client, "clerk2", address="10.0.9.9", lang="en")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "120"
    assert problem(response) == "Too many failed sign-ins; try again in 2 minutes."


# --- behind a reverse proxy, and over TLS ---------------------------------------------


@pytest.fixture
def proxied(db_url: str):
    """The app as docker-compose runs it behind nginx: one trusted proxy."""
    app = create_app(TestingConfig, {"SQLALCHEMY_DATABASE_URI": db_url, "PROXIES": 1})
    with app.app_context():
        Base.metadata.create_all(db.engine)
        people(db.session)
        db.session.commit()
    yield app
    close(app)


def test_behind_a_trusted_proxy_the_cookie_is_secure_and_the_address_the_clients(proxied):
    client = proxied.test_client()
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}
    token = form_token(client.get("/login", headers=headers))
    data = {"username": "clerk1", "password": "secret", "csrf_token": token}
    response = client.post("/login", data=data, headers=headers)
    assert response.status_code == 303
    assert "secure" in cookie_attributes(response, "nobat_session")
    with proxied.app_context():
        assert db.session.scalars(select(StaffSession.address)).one() == "203.0.113.7"


def test_without_trusted_proxies_forwarded_headers_are_ignored(app, client, tokens):
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}
    token = form_token(client.get("/login", headers=headers))
    data = {"username": "clerk1", "password": "secret", "csrf_token": token}
    response = client.post("/login", data=data, headers=headers)
    assert "secure" not in cookie_attributes(response, "nobat_session")
    with app.app_context():
        assert db.session.scalars(select(StaffSession.address)).one() == "127.0.0.1"


def test_failures_behind_the_proxy_count_against_the_real_clients_address(proxied):
    client = proxied.test_client()
    for attempt in range(20):
        headers = {"X-Forwarded-For": "198.51.100.1"}
        token = form_token(client.get("/login", headers=headers))
        data = {"username": f"guess{attempt}", "password": "x", "csrf_token": token}
        assert client.post("/login", data=data, headers=headers).status_code == 401
    elsewhere = {"X-Forwarded-For": "198.51.100.2"}
    token = form_token(client.get("/login", headers=elsewhere))
    data = {"username": "clerk1", "password": "secret", "csrf_token": token}
    assert client.post("/login", data=data, headers=elsewhere).status_code == 303


def test_over_tls_the_cookie_is_secure(app, tokens):
    client = app.test_client()
    token = form_token(client.get("/login", base_url="https://localhost"))
    data = {"username": "clerk1", "password": "secret", "csrf_token": token}
    response = client.post("/login", data=data, base_url="https://localhost")
    assert "secure" in cookie_attributes(response, "nobat_session")


# --- the page -------------------------------------------------------------------------


@pytest.mark.parametrize(("lang", "direction"), [("fa", "rtl"), ("en", "ltr")])
def test_the_form_is_labelled_for_people_and_password_managers(client, lang, direction):
    page = client.get(f"/login?lang={lang}").get_data(as_text=True)
    assert f'<html lang="{lang}" dir="{direction}">' in page
    assert "<main" in page and "<h1>" in page
    assert '<label for="username">' in page and '<label for="password">' in page
    assert 'name="username"' in page and 'autocomplete="username"' in page
    assert 'type="password"' in page and 'autocomplete="current-password"' in page
    assert 'method="post"' in page


def test_the_form_is_never_cached(client):
    assert client.get("/login").headers["Cache-Control"] == "no-store"


def test_sign_out_is_a_post_only(client):
    assert client.get("/logout").status_code == 405


def disable(app: Flask, username: str) -> None:
    with app.app_context():
        db.session.scalar(select(User).where(User.username == username)).active = False
        db.session.commit()
