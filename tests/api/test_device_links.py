"""One-time device links: a kiosk's or display's code is traded for a token once, in time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from server import device_links
from server.engine.clock import utcnow
from server.extensions import db
from server.models import DeviceLink, Office, TokenKind
from tests.api.helpers import assert_4xx_shape, assert_error, send
from tests.conftest import Tokens

CLAIM = "/devices/claim"


def link(app: Flask, kind: TokenKind = TokenKind.KIOSK, hours: float = 12, office="amol") -> str:
    """A new link's code, made as ``nobat device link`` makes it (``hours`` may be past)."""
    with app.app_context():
        found = db.session.scalar(select(Office).where(Office.code == office))
        code = device_links.create_link(
            db.session, kind, found.id, lifetime=timedelta(hours=hours), now=utcnow()
        )
        db.session.commit()
    return code


@pytest.mark.parametrize(
    ("kind", "path"),
    [(TokenKind.KIOSK, "/offices/amol/services"), (TokenKind.DISPLAY, "/offices/amol/queue")],
)
def test_a_link_is_traded_once_for_a_working_device_token(
    app: Flask, client: FlaskClient, tokens: Tokens, kind: TokenKind, path: str
):
    code = link(app, kind)
    claimed = send(client, "POST", CLAIM, json={"code": code})
    assert claimed.status_code == 201, claimed.get_data(as_text=True)
    body = claimed.get_json()
    assert (body["kind"], body["office"]) == (kind.value, "amol")
    assert body["token"].startswith("nbt_")
    assert send(client, "GET", path, body["token"]).status_code == 200

    again = send(client, "POST", CLAIM, json={"code": code})
    assert_error(again, 410, "link_used")


def test_the_link_remembers_the_token_it_gave(app: Flask, client: FlaskClient, tokens: Tokens):
    code = link(app)
    send(client, "POST", CLAIM, json={"code": code})
    with app.app_context():
        stored = db.session.scalars(select(DeviceLink)).one()
    assert stored.used_at is not None and stored.token_id is not None
    assert stored.code_hash != code


def test_an_expired_link_is_refused(app: Flask, client: FlaskClient, tokens: Tokens):
    error = assert_error(
        send(client, "POST", CLAIM, json={"code": link(app, hours=-1)}), 410, "link_expired"
    )
    assert error["message"]


def test_an_unknown_code_is_refused(client: FlaskClient, tokens: Tokens):
    response = send(client, "POST", CLAIM, json={"code": "A" * 22}, query_string={"lang": "en"})
    error = assert_error(response, 404, "link_unknown")
    assert error["message"] == "this device link is not known"


def test_a_link_of_babol_pairs_a_device_of_babol(app: Flask, client: FlaskClient, tokens):
    body = send(client, "POST", CLAIM, json={"code": link(app, office="babol")}).get_json()
    assert body["office"] == "babol"
    assert send(client, "GET", "/offices/amol/services", body["token"]).status_code == 403


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"code": ""},
        {"code": "short"},
        {"code": "x" * 65},
        {"code": 12345678901234567890},
        {"code": None},
        {"code": "A" * 22 + "\n"},
        {"code": "A" * 21 + "é"},
        {"code": "A" * 22, "kind": "kiosk"},
        ["A" * 22],
    ],
    ids=["nothing", "empty", "short", "long", "number", "null", "newline", "not ascii", "extra",
         "list"],
)  # fmt: skip
def test_a_malformed_claim_is_a_422(client: FlaskClient, tokens: Tokens, body):
    assert_error(send(client, "POST", CLAIM, json=body), 422, "invalid")


@pytest.mark.parametrize(
    "data", [b"", b"not json", b'{"code": ', b"\xff\xfe"], ids=["empty", "text", "cut", "bytes"]
)
def test_a_claim_that_is_not_json_is_a_4xx(client: FlaskClient, tokens: Tokens, data: bytes):
    response = send(client, "POST", CLAIM, data=data, content_type="application/json")
    assert 400 <= response.status_code < 500
    assert_4xx_shape(response)


def test_claiming_needs_no_credentials_and_ignores_a_bearer(app, client: FlaskClient, tokens):
    code = link(app)
    response = send(client, "POST", CLAIM, "nbt_not_a_token", json={"code": code})
    assert response.status_code == 201


def test_the_claim_is_documented_as_public(client: FlaskClient):
    document = send(client, "GET", "/openapi.json").get_json()
    claim = document["paths"]["/api/v1/devices/claim"]["post"]
    assert claim["security"] == []
    assert {"201", "404", "410", "422"} <= set(claim["responses"])
