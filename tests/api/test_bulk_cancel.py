"""A manager clears a flood: today's waiting tickets of a service, a range or all of them,
each cancelled with its own event; nobody else may."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from harness import builders
from server.extensions import db
from server.models import EventType, Office, Role, TicketEvent, User
from tests.api.helpers import assert_error, board, call_next, issue, send, waiting
from tests.conftest import Tokens

PATH = "/offices/amol/tickets/cancel"


def cancel(client: FlaskClient, token: str, **body: Any) -> dict[str, Any]:
    response = send(client, "POST", PATH, token, json=body)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


@pytest.fixture
def flood(client: FlaskClient, tokens: Tokens, counters: dict[int, int]) -> list[dict]:
    """Civil B-001..B-010 from one kiosk, B-001 already called at counter 2; one post ticket."""
    tickets = [issue(client, tokens.kiosk, "civil") for _ in range(10)]
    issue(client, tokens.kiosk, "post")
    assert call_next(client, tokens.clerk2, counters[2])["number"] == "B-001"
    return tickets


def test_a_manager_cancels_exactly_the_range_and_each_ticket_gets_its_event(
    app: Flask, client: FlaskClient, tokens: Tokens, flood: list[dict]
):
    published = app.extensions["published"].events
    before = len(published)

    answer = cancel(client, tokens.manager, service="civil", **{"from": 1, "to": 6})

    # B-001 was called already: left alone. B-002..B-006 were waiting.
    expected = ["B-002", "B-003", "B-004", "B-005", "B-006"]
    assert answer == {"service": "civil", "cancelled": 5, "numbers": expected}
    events = published[before:]
    assert [(e.type, e.ticket["number"]) for e in events] == [("cancelled", n) for n in expected]
    assert [e.seq for e in events] == list(range(events[0].seq, events[0].seq + 5))
    assert waiting(client, tokens.clerk) == {"insurance": 0, "civil": 4, "post": 1}
    statuses = {t["number"]: t["status"] for t in board(client, tokens.clerk)["recent_calls"]}
    assert statuses == {"B-001": "called"}
    # The audit trail names the manager and says which range and how many, on each event.
    with app.app_context():
        manager = db.session.scalar(select(User.id).where(User.username == "manager"))
        trail = db.session.execute(
            select(TicketEvent.actor_id, TicketEvent.detail).where(
                TicketEvent.type == EventType.CANCELLED
            )
        ).all()
    assert trail == [(manager, "bulk cancel B-001..B-006: 5 tickets")] * 5
    (logged,) = send(client, "GET", "/offices/amol/audit", tokens.manager).get_json()
    assert (logged["actor"], logged["action"]) == ("manager", "tickets.cancel")
    assert logged["target"] == "civil: 1–6" and logged["after"]["numbers"] == expected


def test_all_cancels_every_waiting_ticket_of_the_service_and_no_other(
    client: FlaskClient, tokens: Tokens, flood: list[dict]
):
    answer = cancel(client, tokens.admin, service="civil", all=True)
    assert answer["cancelled"] == 9
    assert answer["numbers"][0] == "B-002" and answer["numbers"][-1] == "B-010"
    assert waiting(client, tokens.clerk) == {"insurance": 0, "civil": 0, "post": 1}
    # Done again, there is nothing left to cancel.
    assert cancel(client, tokens.admin, service="civil", all=True)["cancelled"] == 0


def test_the_ticket_page_of_a_cancelled_ticket_says_so(
    client: FlaskClient, tokens: Tokens, flood: list[dict]
):
    cancel(client, tokens.manager, service="civil", **{"from": 10, "to": 10})
    page = client.get(urlsplit(flood[-1]["status_url"]).path + "?lang=en")
    assert 'data-status="cancelled"' in page.get_data(as_text=True)
    assert waiting(client, tokens.clerk)["civil"] == 8


@pytest.mark.parametrize("caller", ["clerk", "clerk2", "kiosk", "display"])
def test_clerks_and_devices_are_forbidden(
    client: FlaskClient, tokens: Tokens, flood: list[dict], caller: str
):
    response = send(
        client, "POST", PATH, getattr(tokens, caller), json={"service": "civil", "all": True}
    )
    assert_error(response, 403, "forbidden")
    assert waiting(client, tokens.clerk)["civil"] == 9


def test_another_offices_manager_is_forbidden(
    app: Flask, client: FlaskClient, tokens: Tokens, flood: list[dict]
):
    with app.app_context():
        babol = db.session.scalar(select(Office).where(Office.code == "babol"))
        theirs = builders.user_token(db.session, "babol-manager", Role.MANAGER, babol)
        db.session.commit()
    response = send(client, "POST", PATH, theirs, json={"service": "civil", "all": True})
    assert_error(response, 403, "forbidden")
    assert waiting(client, tokens.clerk)["civil"] == 9


def test_an_unknown_service_is_not_found(client: FlaskClient, tokens: Tokens):
    response = send(client, "POST", PATH, tokens.manager, json={"service": "nope", "all": True})
    assert_error(response, 404, "not_found")
