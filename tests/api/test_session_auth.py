"""The API for a signed-in browser: its cookie reads, and changes only with the CSRF token.

Bearer callers go on as before, without any CSRF token; the two credentials never
stand in for each other.
"""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.api.helpers import assert_error, counter_ids, send, waiting
from tests.conftest import Tokens
from tests.sign_in import csrf_token, session_secret, sign_in

ISSUE = "/offices/amol/tickets"
CIVIL = {"service": "civil"}


@pytest.fixture
def clerk(client: FlaskClient, tokens: Tokens) -> FlaskClient:
    """The test client signed in as clerk1 of amol."""
    assert sign_in(client, "clerk1").status_code == 303
    return client


def test_a_signed_in_clerk_reads_their_office_without_a_token(clerk: FlaskClient):
    assert send(clerk, "GET", "/offices/amol/services").status_code == 200
    assert send(clerk, "GET", "/offices/amol/queue").status_code == 200


def test_a_change_with_the_sessions_csrf_token_is_made(clerk: FlaskClient, tokens: Tokens):
    headers = {"X-CSRF-Token": csrf_token(clerk), "Origin": "http://localhost"}
    response = send(clerk, "POST", ISSUE, json=CIVIL, headers=headers)
    assert response.status_code == 201, response.get_data(as_text=True)
    assert waiting(clerk, tokens.clerk)["civil"] == 1


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-CSRF-Token": ""},
        {"X-CSRF-Token": "0" * 64},
        {"X-CSRF-Token": "{token}", "Origin": "http://evil.example"},
        {"X-CSRF-Token": "{token}", "Origin": "null"},
        {"X-CSRF-Token": "{token}", "Origin": "https://localhost"},
    ],
    ids=["no token", "empty", "wrong", "foreign origin", "null origin", "other scheme"],
)
def test_a_change_without_a_valid_csrf_token_or_from_elsewhere_is_refused(
    clerk: FlaskClient, tokens: Tokens, headers: dict[str, str]
):
    token = csrf_token(clerk)
    headers = {name: value.format(token=token) for name, value in headers.items()}
    response = send(clerk, "POST", ISSUE, json=CIVIL, headers=headers)
    assert_error(response, 403, "csrf")
    assert waiting(clerk, tokens.clerk)["civil"] == 0


def test_the_api_takes_the_token_from_the_header_only(clerk: FlaskClient, tokens: Tokens):
    """A form field is for pages; the API's body is its own (JSON)."""
    response = send(clerk, "POST", ISSUE, data={"csrf_token": csrf_token(clerk)})
    assert_error(response, 403, "csrf")


def test_another_sessions_csrf_token_is_refused(app, clerk: FlaskClient):
    other = app.test_client()
    sign_in(other, "clerk2")
    response = send(clerk, "POST", ISSUE, json=CIVIL, headers={"X-CSRF-Token": csrf_token(other)})
    assert_error(response, 403, "csrf")


def test_bearer_callers_need_no_csrf_token_even_beside_a_session_cookie(
    clerk: FlaskClient, tokens: Tokens
):
    """A kiosk page opened in a browser where a clerk is signed in still issues tickets."""
    response = send(clerk, "POST", ISSUE, tokens.kiosk, json=CIVIL)
    assert response.status_code == 201
    assert send(clerk, "GET", "/offices/amol/services", "nbt_not_a_token").status_code == 401


def test_a_session_secret_is_not_a_bearer_token(clerk: FlaskClient):
    secret = session_secret(clerk)
    clerk.delete_cookie("nobat_session")
    assert_error(send(clerk, "GET", "/offices/amol/services", secret), 401, "unauthorized")


def test_a_bearer_token_is_not_a_session_cookie(client: FlaskClient, tokens: Tokens):
    client.set_cookie("nobat_session", tokens.clerk)
    assert_error(send(client, "GET", "/offices/amol/services"), 401, "unauthorized")


def test_a_cookie_of_no_session_is_refused_before_any_csrf_check(client: FlaskClient, tokens):
    client.set_cookie("nobat_session", "made-up")
    assert_error(send(client, "POST", ISSUE, json=CIVIL), 401, "unauthorized")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/offices/babol/services"),
        ("GET", "/offices/babol/counters"),
        ("GET", "/offices/babol/queue"),
        ("POST", "/offices/babol/tickets"),
        ("POST", "/counters/{babol_counter}/next"),
        ("POST", "/counters/{babol_counter}/open"),
        ("POST", "/counters/{babol_counter}/takeover"),
        ("GET", "/counters/{babol_counter}"),
    ],
)
def test_a_signed_in_clerk_cannot_reach_another_offices_data(
    clerk: FlaskClient, tokens: Tokens, method: str, path: str
):
    babol_counter = counter_ids(clerk, tokens.other_clerk, "babol")[1]
    headers = {"X-CSRF-Token": csrf_token(clerk)}
    response = send(
        clerk,
        method,
        path.format(babol_counter=babol_counter),
        json=CIVIL if path.endswith("tickets") else None,
        headers=headers,
    )
    assert_error(response, 403, "forbidden")


def test_a_signed_in_administrator_reaches_every_office(client: FlaskClient, tokens: Tokens):
    sign_in(client, "admin")
    assert send(client, "GET", "/offices/babol/queue").status_code == 200
