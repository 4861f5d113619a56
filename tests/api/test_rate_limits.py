"""Rate limits: a flood from one kiosk token is refused with 429 and Retry-After, while a
kiosk at a real pace never is; sign-in and the citizen's ticket page are limited too.

In-process, on one app with the limits on (the suite's other apps have them off) and the
clock moved by time-machine. That the count holds across processes sharing Redis is
``tests/live/test_rate_limits_across_processes.py``'s.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from server import auth
from server.app import create_app
from server.config import Config, TestingConfig
from server.database import Base
from server.extensions import db
from server.limits import limiter
from server.models import Office, TokenKind, User
from tests.api.helpers import assert_error
from tests.conftest import Tokens, close, people

SERVICES = ("insurance", "civil", "post")
BROWSER = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
#: An ordinary working morning in Amol, when the office opens.
OPENING = datetime(2026, 12, 5, 7, 30, tzinfo=ZoneInfo("Asia/Tehran"))


def limited_app(database: str, **overrides: object) -> Flask:
    """The app with its limits on, as served; kiosks without a printer (nothing to render)."""
    result = create_app(
        TestingConfig,
        {
            "SQLALCHEMY_DATABASE_URI": database,
            "RATE_LIMITS": True,
            "DEFAULT_PRINTER": "none",
            **overrides,
        },
    )
    with result.app_context():
        Base.metadata.create_all(db.engine)
    return result


@pytest.fixture
def app(sqlite_url: str) -> Iterator[Flask]:
    result = limited_app(sqlite_url)
    yield result
    close(result)


@pytest.fixture
def clock() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(OPENING, tick=False) as traveller:
        yield traveller


def take(client: FlaskClient, token: str, n: int = 0, **environ: str) -> TestResponse:
    """One ticket from a kiosk, of the services in turn (none reaches its daily cap here)."""
    return client.post(
        "/api/v1/offices/amol/tickets",
        json={"service": SERVICES[n % len(SERVICES)]},
        headers=Tokens.header(token),
        environ_base=environ,
    )


def test_the_limits_come_from_the_configuration_and_served_processes_have_them_on():
    assert Config.RATE_LIMITS is True
    assert Config.LIMIT_ISSUE_PER_DEVICE == "60/minute;600/hour"
    assert TestingConfig.RATE_LIMITS is False


def test_a_flood_from_one_kiosk_token_is_refused_with_429_and_retry_after(
    client: FlaskClient, tokens: Tokens, clock: time_machine.Coordinates
):
    answers = [take(client, tokens.kiosk, n).status_code for n in range(70)]
    assert answers == [201] * 60 + [429] * 10

    refused = take(client, tokens.kiosk)
    error = assert_error(refused, 429, "too_many_requests")
    # Persian first, with Persian digits: a kiosk shows the message to the citizen.
    assert (
        error["message"] == "تعداد درخواست‌ها بیش از حد است. لطفاً ۶۰ ثانیهٔ دیگر دوباره امتحان کنید."
    )
    assert refused.headers["Retry-After"] == "60"
    english = client.post(
        "/api/v1/offices/amol/tickets",
        json={"service": "civil"},
        headers={**Tokens.header(tokens.kiosk), "Accept-Language": "en"},
    )
    assert english.get_json()["error"]["message"] == (
        "Too many requests. Please try again in 60 seconds."
    )

    clock.shift(timedelta(seconds=59))
    assert take(client, tokens.kiosk).headers["Retry-After"] == "1"
    clock.shift(timedelta(seconds=1.1))  # the first ticket of the flood is a minute old
    assert take(client, tokens.kiosk).status_code == 201


def test_a_kiosk_at_a_real_pace_is_never_refused(
    client: FlaskClient, tokens: Tokens, clock: time_machine.Coordinates
):
    """Two hours of a busy kiosk: the doors open on 30 people (a ticket every 2 s), a bus
    brings 30 more at nine, and in between a citizen comes every 15 seconds."""
    burst = [timedelta(seconds=2 * n) for n in range(30)]
    pace = [timedelta(minutes=1, seconds=15 * n) for n in range(4 * 89)]
    nine = OPENING.replace(hour=9, minute=0) - OPENING
    moments = sorted([*burst, *(nine + t for t in burst), *pace])
    refused = []
    for n, moment in enumerate(moments):
        clock.move_to(OPENING + moment)
        if take(client, tokens.kiosk, n).status_code != 201:
            refused.append((moment, n))
    assert len(moments) == 416 and moments[-1] < timedelta(hours=1, minutes=31)
    assert refused == []


def test_a_slow_flood_under_the_minute_limit_meets_the_hourly_one(
    client: FlaskClient, tokens: Tokens, clock: time_machine.Coordinates
):
    answers = []
    for n in range(605):  # a ticket every 2 s: 30 a minute, under the minute's 60
        answers.append(take(client, tokens.kiosk, n).status_code)
        clock.shift(timedelta(seconds=2))
    assert answers == [201] * 600 + [429] * 5


def test_each_kiosk_has_its_own_limit(client: FlaskClient, app: Flask, tokens: Tokens, clock):
    with app.app_context():
        amol = db.session.scalar(select(Office).where(Office.code == "amol"))
        second = auth.create_token(db.session, device=TokenKind.KIOSK, office_id=amol.id)
        db.session.commit()
    for n in range(60):
        assert take(client, tokens.kiosk, n).status_code == 201
    assert take(client, tokens.kiosk).status_code == 429
    assert take(client, second).status_code == 201


def test_a_staff_user_counts_as_one_caller_whichever_token(
    app: Flask, client: FlaskClient, tokens: Tokens, clock
):
    with app.app_context():
        clerk = db.session.scalar(select(User).where(User.username == "clerk1"))
        another = auth.create_token(db.session, user=clerk)
        db.session.commit()
    for n in range(30):
        assert take(client, tokens.clerk, n).status_code == 201
        assert take(client, another, n).status_code == 201
    assert take(client, another).status_code == 429


@pytest.mark.parametrize("proxies", [0, 1])
def test_the_address_limit_holds_across_tokens_and_believes_only_a_trusted_proxy(
    sqlite_url: str, clock, proxies: int
):
    app = limited_app(sqlite_url, LIMIT_ISSUE_PER_ADDRESS="3/minute", PROXIES=proxies)
    with app.app_context():
        tokens = people(db.session)
        db.session.commit()
    client = app.test_client()
    callers = [tokens.kiosk, tokens.clerk, tokens.manager, tokens.admin]
    # One office's router: every caller behind it shares the address's budget.
    office = {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "5.5.5.5"}
    answers = [take(client, k, n, **office).status_code for n, k in enumerate(callers)]
    assert answers == [201, 201, 201, 429]
    # Another office behind the same proxy has its own budget, if the proxy is trusted;
    # an untrusted header is ignored: a flooder cannot spread over invented addresses.
    other = {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "6.6.6.6"}
    assert take(client, tokens.clerk2, **other).status_code == (201 if proxies else 429)
    close(app)


def test_sign_in_attempts_are_limited_per_address_with_a_readable_page(
    client: FlaskClient, tokens: Tokens, clock
):
    # Each of these is refused by the form itself (no sign-in cookie): they count all the same.
    answers = [client.post("/login", data={"username": "x"}).status_code for _ in range(31)]
    assert answers == [403] * 30 + [429]
    page = client.post("/login?lang=en", data={"username": "x"}, headers=BROWSER)
    assert page.status_code == 429
    assert page.mimetype == "text/html"
    assert page.headers["Retry-After"] == "60"
    assert "Too many requests. Please try again in 60 seconds." in page.get_data(as_text=True)
    # A POST is not repeated by itself; the page links back instead.
    assert 'http-equiv="refresh"' not in page.get_data(as_text=True)


def test_a_ticket_page_hammered_is_refused_with_a_page_that_comes_back(
    client: FlaskClient, tokens: Tokens, clock
):
    link = take(client, tokens.kiosk).get_json()["status_url"].rsplit("/", 1)[1]
    answers = [client.get(f"/t/{link}").status_code for _ in range(61)]
    assert answers == [200] * 60 + [429]
    page = client.get(f"/t/{link}", headers=BROWSER)
    text = page.get_data(as_text=True)
    assert page.mimetype == "text/html" and 'lang="fa"' in text
    assert "تعداد درخواست‌ها بیش از حد است. لطفاً ۶۰ ثانیهٔ دیگر دوباره امتحان کنید." in text
    assert '<meta http-equiv="refresh" content="60">' in text
    # The image of the same ticket shares the link's budget; another ticket has its own.
    assert client.get(f"/t/{link}/ticket.png").status_code == 429
    other = take(client, tokens.kiosk).get_json()["status_url"].rsplit("/", 1)[1]
    assert client.get(f"/t/{other}?lang=en").status_code == 200


def test_ticket_pages_from_one_address_share_a_larger_budget(
    app: Flask, client: FlaskClient, tokens: Tokens, clock
):
    app.config["LIMIT_TICKET_PAGE_PER_ADDRESS"] = "5/minute"
    links = [
        take(client, tokens.kiosk, n).get_json()["status_url"].rsplit("/", 1)[1] for n in range(6)
    ]
    assert [client.get(f"/t/{link}").status_code for link in links] == [200] * 5 + [429]
    phone = {"REMOTE_ADDR": "10.9.9.9"}
    assert client.get(f"/t/{links[0]}", environ_base=phone).status_code == 200


def test_other_requests_pay_nothing_for_the_limits(app: Flask):
    """The limits are the views' own: Flask-Limiter's app-wide hook is not run."""
    assert limiter._check_request_limit not in app.before_request_funcs[None]
