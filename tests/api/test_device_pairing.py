"""Pairing by a short code: a page asks, a manager of its office approves, the page's own
poll (and only the poll presenting its secret) receives the device token, once."""

from __future__ import annotations

import secrets
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from harness import builders
from server import device_pairing
from server.engine.clock import utcnow
from server.extensions import db
from server.hashing import hash_token
from server.models import ApiToken, DevicePairing, Office, Role
from server.persian import persian_digits
from tests.api.helpers import assert_error, send
from tests.conftest import Tokens

PAIRINGS, POLL = "/devices/pairings", "/devices/pairings/poll"


def ask(client: FlaskClient, kind: str = "kiosk", office: str = "amol") -> tuple[str, str]:
    """A page's request: its secret and the code it shows."""
    secret = secrets.token_urlsafe(32)
    response = send(
        client, "POST", PAIRINGS, json={"office": office, "kind": kind, "secret": secret}
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    code = response.get_json()["code"]
    assert len(code) == 6 and code.isascii() and code.isdigit()
    return secret, code


def approve(client, token, code, kind="kiosk", office="amol", name="entrance"):
    return send(
        client, "POST", f"/offices/{office}/devices/pair", token,
        json={"code": code, "kind": kind, "name": name},
    )  # fmt: skip


def poll(client: FlaskClient, secret: str):
    return send(client, "POST", POLL, json={"secret": secret})


@pytest.mark.parametrize(
    ("kind", "path"), [("kiosk", "/offices/amol/services"), ("display", "/offices/amol/queue")]
)
def test_a_manager_approves_a_code_and_the_page_receives_its_token_once(
    client: FlaskClient, tokens: Tokens, kind: str, path: str
):
    secret, code = ask(client, kind)
    assert poll(client, secret).get_json()["state"] == "waiting"
    assert approve(client, tokens.manager, code, kind).status_code == 201

    paired = poll(client, secret)
    assert paired.status_code == 200
    body = paired.get_json()
    assert (body["state"], body["kind"]) == ("paired", kind)
    assert send(client, "GET", path, body["token"]).status_code == 200
    assert_error(poll(client, secret), 410, "pairing_used")
    listed = send(client, "GET", "/offices/amol/devices", tokens.manager).get_json()
    assert next(d["name"] for d in listed if d["kind"] == kind) == "entrance"
    (logged,) = send(client, "GET", "/offices/amol/audit", tokens.manager).get_json()
    assert (logged["actor"], logged["action"]) == ("manager", "devices.pair")
    assert logged["target"] == f"{kind}: entrance"


def test_the_code_alone_does_not_deliver_the_token(client: FlaskClient, tokens: Tokens):
    secret, code = ask(client)
    approve(client, tokens.manager, code)
    # Someone who saw the screen knows the code, not the secret.
    assert_error(poll(client, code * 6), 404, "pairing_unknown")
    assert_error(poll(client, secrets.token_urlsafe(32)), 404, "pairing_unknown")
    assert poll(client, secret).get_json()["state"] == "paired"


def test_an_administrator_approves_in_any_office_and_a_code_in_persian_digits(
    client: FlaskClient, tokens: Tokens
):
    secret, code = ask(client, office="babol")
    assert approve(client, tokens.admin, persian_digits(code), office="babol").status_code == 201
    assert poll(client, secret).get_json()["state"] == "paired"


def test_another_offices_manager_cannot_approve(app: Flask, client: FlaskClient, tokens: Tokens):
    with app.app_context():
        babol = db.session.scalar(select(Office).where(Office.code == "babol"))
        other = builders.user_token(db.session, "babol-manager", Role.MANAGER, babol)
        db.session.commit()
    secret, code = ask(client)
    assert_error(approve(client, other, code), 403, "forbidden")
    # In their own office the code is not known at all.
    assert_error(approve(client, other, code, office="babol"), 404, "pairing_unknown")
    assert_error(approve(client, tokens.clerk, code), 403, "forbidden")
    assert_error(approve(client, tokens.kiosk, code), 403, "forbidden")
    assert poll(client, secret).get_json()["state"] == "waiting"


def test_a_code_is_approved_once(client: FlaskClient, tokens: Tokens):
    _secret, code = ask(client)
    assert approve(client, tokens.manager, code).status_code == 201
    assert_error(approve(client, tokens.manager, code), 410, "pairing_used")


def test_an_expired_code_is_refused(app: Flask, client: FlaskClient, tokens: Tokens):
    secret, code = ask(client)
    with app.app_context():
        db.session.execute(update(DevicePairing).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    assert_error(approve(client, tokens.manager, code), 410, "pairing_expired")
    assert_error(poll(client, secret), 410, "pairing_expired")


def test_the_kind_must_match_the_page(client: FlaskClient, tokens: Tokens):
    _secret, code = ask(client, "display")
    assert_error(approve(client, tokens.manager, code, "kiosk"), 409, "pairing_kind")


def test_only_so_many_requests_may_wait(client: FlaskClient, tokens: Tokens):
    for _ in range(device_pairing.PER_ADDRESS):
        ask(client)
    body = {"office": "amol", "kind": "kiosk", "secret": secrets.token_urlsafe(32)}
    refused = send(client, "POST", PAIRINGS, json=body)
    assert_error(refused, 429, "pairing_busy")
    assert refused.headers["Retry-After"] == "60"


def test_an_unknown_office_is_a_404(client: FlaskClient, tokens: Tokens):
    body = {"office": "nowhere", "kind": "kiosk", "secret": secrets.token_urlsafe(32)}
    assert_error(send(client, "POST", PAIRINGS, json=body), 404, "office_unknown")


@pytest.mark.parametrize(
    "body",
    [{}, {"office": "amol", "kind": "counter", "secret": "s" * 43},
     {"office": "amol", "kind": "kiosk", "secret": "short"},
     {"office": "amol", "kind": "kiosk", "secret": "é" * 43}],
    ids=["nothing", "counter", "short secret", "not ascii"],
)  # fmt: skip
def test_a_malformed_request_is_a_422(client: FlaskClient, tokens: Tokens, body):
    assert_error(send(client, "POST", PAIRINGS, json=body), 422, "invalid")


@pytest.mark.parametrize(
    "body",
    [{"code": "12345", "kind": "kiosk", "name": "a"},
     {"code": "123456", "kind": "kiosk", "name": "   "},
     {"code": "123456", "kind": "printer", "name": "a"}],
    ids=["five digits", "blank name", "kind"],
)  # fmt: skip
def test_a_malformed_approval_names_the_field(client: FlaskClient, tokens: Tokens, body):
    response = send(client, "POST", "/offices/amol/devices/pair", tokens.manager, json=body)
    error = assert_error(response, 422, "invalid")
    assert len(error["details"]) == 1


def test_the_devices_list_and_revoke(app: Flask, client: FlaskClient, tokens: Tokens):
    listed = send(client, "GET", "/offices/amol/devices", tokens.manager).get_json()
    kiosk = next(d for d in listed if d["kind"] == "kiosk")
    assert kiosk["last_seen_at"] is None and kiosk["printer"]["printer"]
    assert send(client, "GET", "/offices/amol/services", tokens.kiosk).status_code == 200
    listed = send(client, "GET", "/offices/amol/devices", tokens.manager).get_json()
    assert next(d for d in listed if d["id"] == kiosk["id"])["last_seen_at"] is not None
    assert all(d["kind"] != "user" for d in listed)

    revoked = send(client, "POST", f"/offices/amol/devices/{kiosk['id']}/revoke", tokens.manager)
    assert revoked.status_code == 200 and revoked.get_json()["revoked"] is True
    assert send(client, "GET", "/offices/amol/services", tokens.kiosk).status_code == 401
    listed = send(client, "GET", "/offices/amol/devices", tokens.manager).get_json()
    assert kiosk["id"] not in [d["id"] for d in listed]
    (logged,) = send(client, "GET", "/offices/amol/audit", tokens.manager).get_json()
    assert logged["action"] == "devices.revoke" and logged["after"] == {"revoked": True}


def test_a_device_of_another_office_or_a_user_token_cannot_be_revoked_here(
    app: Flask, client: FlaskClient, tokens: Tokens
):
    with app.app_context():
        ids = dict(db.session.execute(select(ApiToken.id, ApiToken.office_id)).all())
        babol = db.session.scalar(select(Office.id).where(Office.code == "babol"))
        user_token = db.session.scalar(select(ApiToken.id).where(ApiToken.user_id.is_not(None)))
    other = next(i for i, office in ids.items() if office == babol)
    for device in (other, user_token):
        response = send(client, "POST", f"/offices/amol/devices/{device}/revoke", tokens.manager)
        assert_error(response, 404, "device_unknown")


def test_last_seen_is_written_at_most_once_a_minute(app: Flask, client: FlaskClient, tokens):
    send(client, "GET", "/offices/amol/services", tokens.kiosk)
    with app.app_context():
        first = db.session.scalar(
            select(ApiToken.last_seen_at).where(ApiToken.token_hash == hash_token(tokens.kiosk))
        )
    send(client, "GET", "/offices/amol/services", tokens.kiosk)
    with app.app_context():
        again = db.session.scalar(
            select(ApiToken.last_seen_at).where(ApiToken.token_hash == hash_token(tokens.kiosk))
        )
    assert first is not None and again == first
