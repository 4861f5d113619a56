"""A kiosk that retries after a lost answer gets the same ticket, never a second number."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from server.extensions import db
from server.models import EventType, PrintJob, Ticket, TicketEvent
from tests.api.helpers import assert_error, send, waiting
from tests.conftest import Tokens


def post(client: FlaskClient, token: str, key: str | None, service: str = "civil"):
    headers = {"Idempotency-Key": key} if key is not None else {}
    return send(
        client, "POST", "/offices/amol/tickets", token, json={"service": service}, headers=headers
    )


def counts(app: Flask) -> tuple[int, int, int]:
    with app.app_context():
        s = db.session
        tickets = s.scalar(select(func.count()).select_from(Ticket))
        issued = s.scalar(
            select(func.count())
            .select_from(TicketEvent)
            .where(TicketEvent.type == EventType.ISSUED)
        )
        jobs = s.scalar(select(func.count()).select_from(PrintJob))
    return tickets, issued, jobs


def test_a_retry_with_the_same_key_gets_the_same_ticket(app, client, tokens: Tokens):
    first = post(client, tokens.kiosk, "kiosk-7f3a9c2e-0001")
    again = post(client, tokens.kiosk, "kiosk-7f3a9c2e-0001")
    assert first.status_code == again.status_code == 201
    assert again.get_json()["id"] == first.get_json()["id"]
    assert again.get_json()["number"] == first.get_json()["number"] == "B-001"
    assert counts(app) == (1, 1, 1)  # one ticket, one event, one print job


def test_different_keys_are_different_tickets(app, client, tokens: Tokens):
    numbers = [
        post(client, tokens.kiosk, f"kiosk-key-{n:08d}").get_json()["number"] for n in (1, 2)
    ]
    assert numbers == ["B-001", "B-002"]
    assert waiting(client, tokens.display)["civil"] == 2


def test_without_a_key_every_request_is_a_new_ticket(app, client, tokens: Tokens):
    assert post(client, tokens.kiosk, None).get_json()["number"] == "B-001"
    assert post(client, tokens.kiosk, None).get_json()["number"] == "B-002"


def test_a_key_belongs_to_its_office(app, client, tokens: Tokens):
    here = post(client, tokens.kiosk, "shared-key-0001").get_json()
    there = send(
        client,
        "POST",
        "/offices/babol/tickets",
        tokens.other_kiosk,
        json={"service": "civil"},
        headers={"Idempotency-Key": "shared-key-0001"},
    ).get_json()
    assert here["id"] != there["id"]


@pytest.mark.parametrize(
    "key",
    ["short", "x" * 65, "has space in it", "نوبت-نوبت-نوبت", "key;with=semicolon"],
    ids=["too short", "too long", "spaces", "not ascii", "punctuation"],
)
def test_a_malformed_key_is_refused(client, tokens: Tokens, key: str):
    assert_error(post(client, tokens.kiosk, key), 422, "invalid")
