"""Who may call what: 401 without a valid token, 403 for the wrong kind of caller or office."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from server import auth
from server.extensions import db
from server.models import ApiToken
from tests.api.conftest import World
from tests.api.helpers import ENDPOINTS, act, assert_error, board, call_next, endpoint_id, send
from tests.conftest import Tokens

STAFF = ("clerk", "clerk2", "manager", "admin")
ANYONE = (*STAFF, "kiosk", "display")

#: Who of office amol may call each endpoint; everyone else is refused with 403.
ALLOWED = {
    "/offices/amol/services": ANYONE,
    "/offices/amol/counters": ANYONE,
    "/offices/amol/tickets": (*STAFF, "kiosk"),
    "/offices/amol/queue": (*STAFF, "display"),
    "/offices/amol/tickets/cancel": ("manager", "admin"),
}
CALLERS = (*ANYONE, "other_clerk", "other_kiosk", "other_display")


def allowed(path: str) -> tuple[str, ...]:
    return ALLOWED.get(path, STAFF)


def fill(world: World, path: str, counter: int = 3, ticket: str = "waiting") -> str:
    return path.format(counter=world.counters[counter], ticket=world.tickets[ticket])


# --- 401 -----------------------------------------------------------------------------

#: Authorization headers that identify nobody: (id, header built from the world or None).
NOBODY: list[tuple[str, Callable[[World], str] | None]] = [
    ("no header", None),
    ("Token scheme", lambda w: f"Token {w.tokens.clerk}"),
    ("Basic scheme", lambda w: "Basic " + base64.b64encode(b"clerk1:secret").decode()),
    ("token without scheme", lambda w: w.tokens.clerk),
    ("Bearer alone", lambda w: "Bearer"),
    ("Bearer and a space", lambda w: "Bearer "),
    ("Bearer and spaces", lambda w: "Bearer     "),
    ("unknown token", lambda w: "Bearer nbt_" + "x" * 43),
    ("token cut short", lambda w: f"Bearer {w.tokens.clerk[:-1]}"),
    ("token of 10 kB", lambda w: "Bearer " + "x" * 10 * 1024),
    ("revoked clerk token", lambda w: f"Bearer {w.revoked}"),
    ("revoked kiosk token", lambda w: f"Bearer {w.revoked_kiosk}"),
    ("disabled user", lambda w: f"Bearer {w.disabled}"),
]


@pytest.mark.parametrize("header", [h for _id, h in NOBODY], ids=[i for i, _h in NOBODY])
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=endpoint_id)
def test_a_caller_without_a_valid_token_is_unauthorized(world: World, endpoint, header):
    method, path, json = endpoint
    headers = {"Authorization": header(world)} if header else {}
    response = send(world.client, method, fill(world, path), json=json, headers=headers)
    assert_error(response, 401, "unauthorized")


def test_a_401_tells_the_caller_to_present_a_bearer_token(world: World):
    response = send(world.client, "GET", "/offices/amol/services")
    assert response.status_code == 401
    assert response.headers.get("WWW-Authenticate", "").lower().startswith("bearer")


def test_the_bearer_scheme_is_case_insensitive(world: World):
    headers = {"Authorization": f"bearer {world.tokens.clerk}"}
    response = send(world.client, "GET", "/offices/amol/services", headers=headers)
    assert response.status_code == 200


def test_health_needs_no_token(world: World):
    response = send(world.client, "GET", "/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


# --- 403 -----------------------------------------------------------------------------

FORBIDDEN = [
    pytest.param(caller, endpoint, id=f"{caller} {endpoint_id(endpoint)}")
    for endpoint in ENDPOINTS
    for caller in CALLERS
    if caller not in allowed(endpoint[1])
]


@pytest.mark.parametrize(("caller", "endpoint"), FORBIDDEN)
def test_the_wrong_kind_of_caller_or_another_office_is_forbidden(world: World, caller, endpoint):
    """Kiosks and displays do only their job; callers of babol never act on amol."""
    method, path, json = endpoint
    response = send(world.client, method, fill(world, path), world.token(caller), json=json)
    assert_error(response, 403, "forbidden")


@pytest.mark.parametrize(
    ("method", "path", "json"),
    [
        pytest.param("GET", "/offices/babol/services", None, id="services"),
        pytest.param("GET", "/offices/babol/counters", None, id="counters"),
        pytest.param("POST", "/offices/babol/tickets", {"service": "civil"}, id="issue"),
        pytest.param("GET", "/offices/babol/queue", None, id="queue"),
        pytest.param("POST", "/counters/{babol_counter}/next", None, id="next"),
        pytest.param("POST", "/counters/{babol_counter}/open", None, id="open"),
        pytest.param("POST", "/tickets/{babol_ticket}/cancel", None, id="cancel"),
        pytest.param(
            "POST", "/tickets/{babol_ticket}/transfer", {"service": "civil"}, id="transfer"
        ),
    ],
)
@pytest.mark.parametrize("caller", ["clerk", "manager", "kiosk", "display"])
def test_callers_of_amol_are_forbidden_in_babol(world: World, caller, method, path, json):
    path = path.format(babol_counter=world.babol_counter, babol_ticket=world.babol_ticket)
    response = send(world.client, method, path, world.token(caller), json=json)
    assert_error(response, 403, "forbidden")


# --- who may -------------------------------------------------------------------------

READS = [
    pytest.param(caller, path, id=f"{caller} {path}")
    for path in ("/offices/amol/services", "/offices/amol/counters", "/offices/amol/queue")
    for caller in ALLOWED[path]
]


@pytest.mark.parametrize(("caller", "path"), READS)
def test_callers_of_the_office_read_what_they_need(world: World, caller: str, path: str):
    response = send(world.client, "GET", path, world.token(caller))
    assert response.status_code == 200, response.get_data(as_text=True)


@pytest.mark.parametrize("caller", ["kiosk", "clerk", "manager", "admin"])
def test_kiosks_and_staff_issue_tickets(world: World, caller: str):
    response = send(
        world.client,
        "POST",
        "/offices/amol/tickets",
        world.token(caller),
        json={"service": "civil"},
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.get_json()["number"].startswith("B-")


@pytest.mark.parametrize(
    ("caller", "path"),
    [
        ("other_clerk", "/offices/babol/queue"),
        ("other_display", "/offices/babol/queue"),
        ("other_kiosk", "/offices/babol/services"),
        ("admin", "/offices/babol/services"),
        ("admin", "/offices/babol/counters"),
        ("admin", "/offices/babol/queue"),
    ],
)
def test_callers_of_babol_and_the_admin_read_babol(world: World, caller: str, path: str):
    response = send(world.client, "GET", path, world.token(caller))
    assert response.status_code == 200, response.get_data(as_text=True)


def test_a_display_sees_the_board_of_its_own_office_only(world: World):
    amol = board(world.client, world.tokens.display)
    babol = board(world.client, world.tokens.other_display, "babol")
    assert amol["office"] == "amol"
    assert babol["office"] == "babol"
    assert {c["id"] for c in amol["counters"]}.isdisjoint({c["id"] for c in babol["counters"]})


def test_an_admin_runs_a_counter_in_any_office(client: FlaskClient, tokens: Tokens):
    admin = tokens.admin
    issued = send(client, "POST", "/offices/babol/tickets", admin, json={"service": "insurance"})
    assert issued.status_code == 201
    ticket = issued.get_json()
    assert ticket["number"] == "A-001"
    counters = send(client, "GET", "/offices/babol/counters", admin).get_json()
    called = call_next(client, admin, counters[0]["id"])
    assert called["id"] == ticket["id"]
    assert called["counter"]["id"] == counters[0]["id"]
    assert act(client, admin, ticket["id"], "start")["status"] == "serving"
    assert act(client, admin, ticket["id"], "complete")["status"] == "done"
    counter = send(client, "GET", "/offices/babol/counters", admin).get_json()[0]
    assert (counter["state"], counter["clerk"]) == ("open", "admin")
    assert board(client, admin, "babol")["recent_calls"][0]["status"] == "done"


def test_a_manager_may_call_tickets_like_a_clerk(client: FlaskClient, tokens: Tokens):
    counters = {c["number"]: c["id"] for c in board(client, tokens.manager)["counters"]}
    ticket = send(client, "POST", "/offices/amol/tickets", tokens.kiosk, json={"service": "post"})
    called = call_next(client, tokens.manager, counters[3])
    assert called["id"] == ticket.get_json()["id"]


def test_a_revoked_token_is_refused_once_its_cached_check_runs_out(
    app: Flask, client: FlaskClient, tokens: Tokens, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setitem(app.config, "TOKEN_CACHE_SECONDS", 1.0)
    assert send(client, "GET", "/offices/amol/services", tokens.display).status_code == 200
    revoke(app, tokens.display)
    # Trusted a little longer (no lookup), then refused.
    assert send(client, "GET", "/offices/amol/services", tokens.display).status_code == 200
    time.sleep(1.1)
    refused = send(client, "GET", "/offices/amol/services", tokens.display)
    assert_error(refused, 401, "unauthorized")


def test_without_token_caching_a_revoked_token_is_refused_at_once(
    app: Flask, client: FlaskClient, tokens: Tokens, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setitem(app.config, "TOKEN_CACHE_SECONDS", 0)
    assert send(client, "GET", "/offices/amol/services", tokens.display).status_code == 200
    revoke(app, tokens.display)
    refused = send(client, "GET", "/offices/amol/services", tokens.display)
    assert_error(refused, 401, "unauthorized")


def revoke(app: Flask, secret: str) -> None:
    with app.app_context():
        token = db.session.scalar(
            select(ApiToken).where(ApiToken.token_hash == auth.hash_token(secret))
        )
        token.revoked = True
        db.session.commit()
