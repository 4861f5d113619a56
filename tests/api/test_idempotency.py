"""A kiosk that retries after a lost answer gets the same ticket, never a second number."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from harness import builders
from server.extensions import db
from server.models import EventType, Office, PrintJob, Ticket, TicketEvent, TokenKind
from tests.api.helpers import assert_error, send, waiting
from tests.conftest import Tokens


def post(client: FlaskClient, token: str, key: str | None, service: str = "civil", **body: object):
    headers = {"Idempotency-Key": key} if key is not None else {}
    return send(
        client,
        "POST",
        "/offices/amol/tickets",
        token,
        json={"service": service, **body},
        headers=headers,
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


def second_kiosk(app: Flask) -> str:
    """A token of another kiosk of office ``amol``."""
    with app.app_context():
        amol = db.session.scalar(select(Office).where(Office.code == "amol"))
        token = builders.device_token(db.session, TokenKind.KIOSK, amol)
        db.session.commit()
    return token


def test_a_retry_of_a_priority_ticket_gets_the_same_ticket(app, client, tokens: Tokens):
    asked = {"priority": True, "priority_reason": "elderly", "language": "en"}
    first = post(client, tokens.kiosk, "kiosk-priority-0001", **asked)
    again = post(client, tokens.kiosk, "kiosk-priority-0001", **asked)
    assert first.status_code == again.status_code == 201
    # The same ticket and print job; the job may have printed between the two answers.
    original, replayed = first.get_json(), again.get_json()
    assert replayed.pop("print")["id"] == original.pop("print")["id"]
    assert replayed == original
    assert counts(app) == (1, 1, 1)


@pytest.mark.parametrize(
    "changed",
    [
        {"service": "post"},
        {"priority": True},
        {"priority": True, "priority_reason": "elderly"},
    ],
    ids=["another service", "priority", "priority with a reason"],
)
def test_a_key_sent_again_with_another_request_is_refused(
    app, client, tokens: Tokens, changed: dict
):
    first = post(client, tokens.kiosk, "kiosk-req-0001")
    assert first.status_code == 201
    refused = post(client, tokens.kiosk, "kiosk-req-0001", **changed)
    assert_error(refused, 409, "idempotency_key_reused")
    assert counts(app) == (1, 1, 1)  # no second ticket, event or print job
    # The key still stands for its own request.
    assert post(client, tokens.kiosk, "kiosk-req-0001").get_json()["id"] == first.get_json()["id"]


def test_another_reason_for_the_same_priority_is_another_request(app, client, tokens: Tokens):
    post(client, tokens.kiosk, "kiosk-req-0002", priority=True, priority_reason="elderly")
    refused = post(client, tokens.kiosk, "kiosk-req-0002", priority=True, priority_reason="veteran")
    assert_error(refused, 409, "idempotency_key_reused")


def test_a_key_is_refused_to_another_caller_of_the_same_office(app, client, tokens: Tokens):
    issued = post(client, tokens.kiosk, "kiosk-req-0003").get_json()
    for caller in (second_kiosk(app), tokens.clerk, tokens.admin):
        refused = post(client, caller, "kiosk-req-0003")
        error = assert_error(refused, 409, "idempotency_key_reused")
        assert issued["number"] not in str(error)  # nothing of the other caller's ticket
    assert counts(app) == (1, 1, 1)


def test_a_refused_key_is_explained_in_persian(client, tokens: Tokens):
    post(client, tokens.kiosk, "kiosk-req-0004")
    refused = post(client, tokens.kiosk, "kiosk-req-0004", service="post")
    assert "کلید تازه" in assert_error(refused, 409, "idempotency_key_reused")["message"]


@pytest.mark.parametrize(
    "key",
    ["short", "x" * 65, "has space in it", "نوبت-نوبت-نوبت", "key;with=semicolon"],
    ids=["too short", "too long", "spaces", "not ascii", "punctuation"],
)
def test_a_malformed_key_is_refused(client, tokens: Tokens, key: str):
    assert_error(post(client, tokens.kiosk, key), 422, "invalid")
