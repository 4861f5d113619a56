"""Setting an office up through the API: each save checks every field, says each field's
problem in the caller's language, writes all or nothing, and is kept in the audit log."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from server.extensions import db
from server.models import User
from server.passwords import check_password
from tests.api.helpers import send
from tests.conftest import Tokens

SERVICE = {
    "letter": "D",
    "group": "tax",
    "name_fa": "مالیات",
    "name_en": "Tax",
    "target_wait_seconds": "۶۰۰",
    "opens_at": "08:00",
    "closes_at": "13:30",
}


def put(client: FlaskClient, path: str, token: str, body: dict, lang: str = "en"):
    return send(client, "PUT", path, token, json=body, headers={"Accept-Language": lang})


def setup(client: FlaskClient, token: str) -> dict:
    response = send(client, "GET", "/offices/amol/setup", token)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_an_administrator_creates_an_office_and_its_manager_adds_a_service_last_in_line(
    client: FlaskClient, tokens: Tokens
):
    office = put(client, "/offices/sari", tokens.admin, {"name_fa": "ساری", "name_en": "Sari"})
    assert office.status_code == 200, office.get_json()
    assert office.get_json()["created"] is True
    assert office.get_json()["record"]["timezone"] == "Asia/Tehran"
    added = put(client, "/offices/amol/services/tax", tokens.manager, SERVICE)
    assert added.status_code == 200, added.get_json()
    record = added.get_json()["record"]
    assert record["target_wait_seconds"] == 600 and record["closes_at"] == "13:30"
    services = [s["code"] for s in setup(client, tokens.manager)["services"]]
    assert services[-1] == "tax" and len(services) == 4
    kiosk = send(client, "GET", "/offices/amol/services", tokens.kiosk).get_json()
    assert [s["code"] for s in kiosk][-1] == "tax"


def test_each_wrong_field_is_named_in_the_callers_language_and_nothing_is_saved(
    client: FlaskClient, tokens: Tokens
):
    wrong = {**SERVICE, "letter": "7", "opens_at": "25:00", "target_wait_seconds": "soon"}
    response = put(client, "/offices/amol/services/tax", tokens.manager, wrong)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["message"] == "3 fields need correcting; nothing was saved"
    assert error["details"]["letter"] == ['letter "7" must be one or two letters A–Z']
    assert error["details"]["opens_at"] == ['opening time "25:00" must be a time of day as HH:MM']
    assert "target wait" in error["details"]["target_wait_seconds"][0]
    persian = put(client, "/offices/amol/services/tax", tokens.manager, wrong, lang="fa")
    assert "ساعت آغاز" in persian.get_json()["error"]["details"]["opens_at"][0]
    assert "tax" not in [s["code"] for s in setup(client, tokens.manager)["services"]]


def test_a_letter_another_service_uses_is_refused_on_its_field(client: FlaskClient, tokens: Tokens):
    response = put(client, "/offices/amol/services/tax", tokens.manager, {**SERVICE, "letter": "B"})
    assert response.status_code == 422
    assert list(response.get_json()["error"]["details"]) == ["letter"]


def test_a_counter_serves_the_services_it_is_given_at_their_tiers(
    client: FlaskClient, tokens: Tokens
):
    body = {
        "name": "باجه ۴",
        "services": [{"service": "post", "tier": 1}, {"service": "civil", "tier": 2}],
    }
    created = put(client, "/offices/amol/counters/4", tokens.manager, body)
    assert created.status_code == 200, created.get_json()
    assert created.get_json()["record"]["name_en"] == "Counter 4"
    changed = put(
        client,
        "/offices/amol/counters/4",
        tokens.manager,
        {**body, "services": [{"service": "post"}]},
    )
    assert changed.get_json()["changed"] == ["services"]
    counters = {c["number"]: c for c in setup(client, tokens.manager)["counters"]}
    assert counters[4]["services"] == [{"service": "post", "tier": 1}]
    unknown = put(
        client,
        "/offices/amol/counters/5",
        tokens.manager,
        {"name": "۵", "services": [{"service": "nope"}]},
    )
    assert unknown.status_code == 422 and list(unknown.get_json()["error"]["details"]) == [
        "services"
    ]


def test_a_new_clerk_gets_a_password_shown_once_and_signs_in_with_it(
    app: Flask, client: FlaskClient, tokens: Tokens
):
    response = put(
        client, "/offices/amol/users/sara", tokens.manager, {"full_name": "سارا", "role": "clerk"}
    )
    assert response.status_code == 200, response.get_json()
    password = response.get_json()["password"]
    with app.app_context():
        stored = db.session.query(User).filter_by(username="sara").one()
        assert check_password(stored.password_hash, password)
    again = put(
        client,
        "/offices/amol/users/sara",
        tokens.manager,
        {"full_name": "سارا احمدی", "role": "clerk"},
    )
    assert again.get_json()["password"] is None and again.get_json()["changed"] == ["full_name"]
    fresh = send(client, "POST", "/offices/amol/users/sara/password", tokens.manager).get_json()
    with app.app_context():
        stored = db.session.query(User).filter_by(username="sara").one()
        assert check_password(stored.password_hash, fresh["password"])
        assert not check_password(stored.password_hash, password)


def test_a_manager_makes_no_administrator_and_touches_no_other_offices_staff(
    client: FlaskClient, tokens: Tokens
):
    admin = put(
        client, "/offices/amol/users/boss", tokens.manager, {"full_name": "x", "role": "admin"}
    )
    assert admin.status_code == 403
    theirs = put(
        client,
        "/offices/amol/users/babol-clerk",
        tokens.manager,
        {"full_name": "x", "role": "clerk"},
    )
    assert theirs.status_code == 403
    region = put(
        client, "/offices/amol/users/reza", tokens.manager, {"role": "manager", "region": ["babol"]}
    )
    assert region.status_code == 403
    elsewhere = put(client, "/offices/babol/services/tax", tokens.manager, SERVICE)
    assert elsewhere.status_code == 403
    office = put(client, "/offices/amol", tokens.manager, {"name_fa": "x", "name_en": "x"})
    assert office.status_code == 403


def test_a_clerk_has_one_office_said_on_the_region_field(client: FlaskClient, tokens: Tokens):
    response = put(
        client, "/offices/amol/users/ali", tokens.admin, {"role": "clerk", "region": ["babol"]}
    )
    assert response.status_code == 422
    assert response.get_json()["error"]["details"] == {
        "offices": ["a clerk has exactly one office"]
    }


def test_a_nul_character_in_a_free_text_is_refused_before_the_database(
    client: FlaskClient, tokens: Tokens
) -> None:
    """PostgreSQL stores no NUL: in a region's office code it was a 500 (API fuzzing)."""
    body = {"role": "manager", "full_name": "Ali", "region": ["ba\u0000bol"]}
    response = put(client, "/offices/amol/users/ali", tokens.admin, body)
    assert response.status_code == 422
    assert "NUL" in response.get_json()["error"]["message"]


def test_every_save_is_in_the_audit_log_with_before_and_after(client: FlaskClient, tokens: Tokens):
    put(client, "/offices/amol/services/tax", tokens.manager, SERVICE)
    put(client, "/offices/amol/services/tax", tokens.manager, {**SERVICE, "active": False})
    put(client, "/offices/amol/services/tax", tokens.manager, {**SERVICE, "active": False})  # same
    entries = send(client, "GET", "/offices/amol/audit", tokens.manager).get_json()
    assert [(e["action"], e["target"]) for e in entries] == [
        ("service.change", "amol/tax"),
        ("service.create", "amol/tax"),
    ]
    assert entries[0]["before"] == {"active": True} and entries[0]["after"] == {"active": False}


def test_the_offices_list_is_what_the_caller_looks_after(client: FlaskClient, tokens: Tokens):
    everyone = send(client, "GET", "/offices", tokens.admin).get_json()
    assert [o["code"] for o in everyone] == ["amol", "babol"]
    own = send(client, "GET", "/offices", tokens.manager).get_json()
    assert [o["code"] for o in own] == ["amol"]
