"""Issuing tickets and the clerk's actions on them: the success paths, shape and values."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from harness import builders
from server import auth
from server.extensions import db
from server.models import Office, Service, TokenKind
from tests.api.helpers import (
    act,
    assert_error,
    call_next,
    command,
    issue,
    local_time,
    send,
    waiting,
)
from tests.conftest import Tokens

#: What the contract promises in a ticket (the API may add more).
TICKET_FIELDS = {
    "id",
    "number",
    "service",
    "priority",
    "priority_reason",
    "status",
    "position",
    "people_ahead",
    "eta_seconds",
    "eta_range",
    "issued_at",
    "called_at",
    "started_at",
    "finished_at",
    "counter",
    "recall_count",
    "transferred_from",
    "status_url",
}
STATUS_URL = re.compile(r"^https?://[^/]+/t/[A-Za-z0-9_-]{20,}$")


def test_a_kiosk_issues_a_ticket_with_its_place_in_the_queue(
    client: FlaskClient, tokens: Tokens, counters: dict[int, int]
):
    command(client, tokens.clerk2, counters[2], "open")  # civil's counter
    before = datetime.now(UTC)
    response = send(
        client, "POST", "/offices/amol/tickets", tokens.kiosk, json={"service": "civil"}
    )
    assert response.status_code == 201
    assert response.mimetype == "application/json"
    ticket = response.get_json()
    assert set(ticket) >= TICKET_FIELDS
    assert isinstance(ticket["id"], int) and ticket["id"] > 0
    assert ticket["number"] == "B-001"
    assert ticket["service"] == "civil"
    assert ticket["status"] == "waiting"
    assert (ticket["priority"], ticket["priority_reason"]) == (False, None)
    assert (ticket["position"], ticket["people_ahead"]) == (1, 0)
    assert ticket["eta_seconds"] == 0
    # Nobody ahead, but maybe a citizen at the counter: up to 1.25 default service times.
    assert ticket["eta_range"] == [0, 375]
    assert (ticket["people_ahead_text"], ticket["eta_text"]) == ("۰ نفر", "تا ۷ دقیقه")
    issued_at = local_time(ticket["issued_at"])
    assert before - timedelta(seconds=1) <= issued_at <= datetime.now(UTC) + timedelta(seconds=1)
    for later in ("called_at", "started_at", "finished_at", "counter", "transferred_from"):
        assert ticket[later] is None
    assert ticket["recall_count"] == 0
    assert STATUS_URL.match(ticket["status_url"]), ticket["status_url"]


def test_numbers_count_per_service_and_later_citizens_wait_longer(
    client: FlaskClient, tokens: Tokens, counters: dict[int, int]
):
    command(client, tokens.clerk, counters[1], "open")
    first = issue(client, tokens.kiosk, "civil")
    second = issue(client, tokens.kiosk, "civil")
    other = issue(client, tokens.kiosk, "insurance")
    third = issue(client, tokens.kiosk, "civil")
    assert [t["number"] for t in (first, second, other, third)] == [
        "B-001",
        "B-002",
        "A-001",
        "B-003",
    ]
    # Counter 1 has insurance before civil, so it calls A-001 before B-003 too.
    assert [t["position"] for t in (first, second, other, third)] == [1, 2, 1, 4]
    assert [t["people_ahead"] for t in (first, second, other, third)] == [0, 1, 0, 3]
    assert 0 == first["eta_seconds"] < second["eta_seconds"] < third["eta_seconds"]
    for ticket in (second, third):
        low, high = ticket["eta_range"]
        assert 0 <= low <= ticket["eta_seconds"] <= high
    assert len({t["id"] for t in (first, second, other, third)}) == 4


def test_a_priority_ticket_goes_ahead_of_ordinary_ones(client: FlaskClient, tokens: Tokens):
    issue(client, tokens.kiosk, "civil")
    issue(client, tokens.kiosk, "civil")
    elderly = issue(client, tokens.kiosk, "civil", priority=True, priority_reason="elderly")
    assert elderly["number"] == "B-003"
    assert (elderly["priority"], elderly["priority_reason"]) == (True, "elderly")
    assert (elderly["position"], elderly["people_ahead"]) == (1, 0)
    pregnant = issue(client, tokens.kiosk, "civil", priority=True, priority_reason="pregnant")
    assert (pregnant["position"], pregnant["people_ahead"]) == (2, 1)
    later = issue(client, tokens.kiosk, "civil", priority=False)
    assert later["position"] == 5


def test_every_priority_reason_is_accepted_and_a_reason_is_optional(
    client: FlaskClient, tokens: Tokens
):
    for reason in ("elderly", "disabled", "veteran", "pregnant", None):
        ticket = issue(client, tokens.kiosk, "post", priority=True, priority_reason=reason)
        assert (ticket["priority"], ticket["priority_reason"]) == (True, reason)


def test_a_reason_without_priority_is_not_kept(client: FlaskClient, tokens: Tokens):
    ticket = issue(client, tokens.kiosk, "post", priority=False, priority_reason="veteran")
    assert (ticket["priority"], ticket["priority_reason"]) == (False, None)


def test_each_ticket_has_its_own_status_link(client: FlaskClient, tokens: Tokens):
    links = {issue(client, tokens.kiosk, "insurance")["status_url"] for _ in range(3)}
    assert len(links) == 3
    assert all(STATUS_URL.match(link) for link in links)


def test_the_status_link_is_at_the_public_address_whatever_host_the_request_names(
    app: Flask, client: FlaskClient, tokens: Tokens
):
    app.config["PUBLIC_URL"] = "https://nobat.example.ir/"
    try:
        response = send(
            client,
            "POST",
            "/offices/amol/tickets",
            tokens.kiosk,
            json={"service": "civil"},
            headers={"Host": "evil.example"},
        )
    finally:
        app.config["PUBLIC_URL"] = None
    link = response.get_json()["status_url"]
    assert re.fullmatch(r"https://nobat\.example\.ir/t/[\w-]+", link), link


def test_a_clerk_calls_recalls_starts_and_completes_a_ticket(
    client: FlaskClient, tokens: Tokens, counters: dict[int, int]
):
    ticket = issue(client, tokens.kiosk, "insurance")
    called = call_next(client, tokens.clerk, counters[1])
    assert called["id"] == ticket["id"]
    assert called["status"] == "called"
    assert called["counter"] == {
        "id": counters[1],
        "number": 1,
        "name": "Counter 1",
        "name_en": "Counter 1",
    }
    assert called["position"] is called["people_ahead"] is called["eta_seconds"] is None
    called_at = local_time(called["called_at"])
    assert called_at >= local_time(called["issued_at"])

    recalled = act(client, tokens.clerk, ticket["id"], "recall")
    assert (recalled["status"], recalled["recall_count"]) == ("called", 1)
    assert act(client, tokens.clerk, ticket["id"], "recall")["recall_count"] == 2
    assert local_time(recalled["called_at"]) == called_at

    started = act(client, tokens.clerk, ticket["id"], "start")
    assert started["status"] == "serving"
    assert local_time(started["started_at"]) >= called_at
    assert started["finished_at"] is None

    done = act(client, tokens.clerk, ticket["id"], "complete")
    assert done["status"] == "done"
    assert local_time(done["finished_at"]) >= local_time(started["started_at"])
    assert done["counter"]["id"] == counters[1]
    assert done["recall_count"] == 2


def test_completing_without_start_takes_the_call_as_the_start(
    client: FlaskClient, tokens: Tokens, counters: dict[int, int]
):
    ticket = issue(client, tokens.kiosk, "post")
    call_next(client, tokens.clerk, counters[3])
    done = act(client, tokens.clerk, ticket["id"], "complete")
    assert done["status"] == "done"
    assert done["started_at"] == done["called_at"]


def test_a_called_citizen_who_does_not_come_is_a_no_show(
    client: FlaskClient, tokens: Tokens, counters: dict[int, int]
):
    ticket = issue(client, tokens.kiosk, "post")
    call_next(client, tokens.clerk, counters[3])
    absent = act(client, tokens.clerk, ticket["id"], "no-show")
    assert absent["status"] == "no_show"
    local_time(absent["finished_at"])
    assert call_next(client, tokens.clerk, counters[3]) is None


def test_a_cancelled_ticket_leaves_the_queue(client: FlaskClient, tokens: Tokens):
    first = issue(client, tokens.kiosk, "civil")
    issue(client, tokens.kiosk, "civil")
    assert waiting(client, tokens.clerk)["civil"] == 2
    cancelled = act(client, tokens.clerk, first["id"], "cancel")
    assert cancelled["status"] == "cancelled"
    assert cancelled["position"] is None
    local_time(cancelled["finished_at"])
    assert waiting(client, tokens.clerk)["civil"] == 1
    # The citizen behind moved up: a newcomer has one person ahead, not two.
    assert issue(client, tokens.kiosk, "civil")["people_ahead"] == 1


def test_a_transferred_citizen_keeps_their_place_in_the_new_queue(
    client: FlaskClient, tokens: Tokens, counters: dict[int, int]
):
    original = issue(client, tokens.kiosk, "insurance")
    issue(client, tokens.kiosk, "civil")
    issue(client, tokens.kiosk, "civil")
    assert call_next(client, tokens.clerk, counters[1])["id"] == original["id"]

    response = send(
        client,
        "POST",
        f"/tickets/{original['id']}/transfer",
        tokens.clerk,
        json={"service": "civil"},
    )
    assert response.status_code == 200
    moved = response.get_json()
    assert moved["id"] != original["id"]
    assert moved["number"] == "B-003"
    assert (moved["service"], moved["status"]) == ("civil", "waiting")
    assert moved["transferred_from"] == original["id"]
    # Queued since the original ticket was issued: ahead of B-001 and B-002.
    assert (moved["position"], moved["people_ahead"]) == (1, 0)
    assert moved["eta_seconds"] == 0
    assert moved["status_url"] != original["status_url"]
    local_time(moved["issued_at"])

    assert_error(
        send(client, "POST", f"/tickets/{original['id']}/complete", tokens.clerk),
        409,
        "illegal_transition",
    )
    assert call_next(client, tokens.clerk2, counters[2])["id"] == moved["id"]


def test_a_serving_ticket_is_transferred_with_its_priority(
    client: FlaskClient, tokens: Tokens, counters: dict[int, int]
):
    ticket = issue(client, tokens.kiosk, "post", priority=True, priority_reason="disabled")
    call_next(client, tokens.clerk, counters[3])
    act(client, tokens.clerk, ticket["id"], "start")
    moved = act(client, tokens.clerk, ticket["id"], "transfer", json={"service": "insurance"})
    assert moved["number"] == "A-001"
    assert (moved["priority"], moved["priority_reason"]) == (True, "disabled")
    # Counter 3 serves insurance too, and its citizen has left it for the new queue.
    assert call_next(client, tokens.clerk, counters[3])["id"] == moved["id"]


def test_a_switched_off_service_issues_no_tickets(
    app: Flask, client: FlaskClient, tokens: Tokens, counters: dict[int, int]
):
    issue(client, tokens.kiosk, "post")
    at_counter = issue(client, tokens.kiosk, "insurance")
    call_next(client, tokens.clerk, counters[1])
    with app.app_context():
        post = select(Service).join(Office).where(Office.code == "amol", Service.code == "post")
        db.session.scalar(post).active = False
        db.session.commit()

    refused = send(client, "POST", "/offices/amol/tickets", tokens.kiosk, json={"service": "post"})
    assert_error(refused, 409, "service_unavailable")
    moved = send(
        client,
        "POST",
        f"/tickets/{at_counter['id']}/transfer",
        tokens.clerk,
        json={"service": "post"},
    )
    assert_error(moved, 409, "service_unavailable")
    services = send(client, "GET", "/offices/amol/services", tokens.kiosk).get_json()
    assert {s["code"]: s["active"] for s in services} == {
        "insurance": True,
        "civil": True,
        "post": False,
    }
    # The citizen already waiting for it is still served.
    assert call_next(client, tokens.clerk, counters[3])["number"] == "C-001"


def test_a_full_service_refuses_the_next_ticket_in_the_words_the_kiosk_shows(
    app: Flask, client: FlaskClient, tokens: Tokens, monkeypatch
):
    """No service of amol sets a cap: the default one holds (500, here 2)."""
    settings = app.extensions["nobat.engine_settings"]
    assert settings.default_daily_cap == 500
    monkeypatch.setitem(
        app.extensions, "nobat.engine_settings", replace(settings, default_daily_cap=2)
    )
    issue(client, tokens.kiosk, "post")
    issue(client, tokens.kiosk, "post")

    refused = send(client, "POST", "/offices/amol/tickets", tokens.kiosk, json={"service": "post"})
    error = assert_error(refused, 409, "service_unavailable")
    assert error["details"] == {"service": "post", "reason": "daily_cap"}
    assert error["message"] == "نوبت‌های امروز خدمت خدمت post تمام شده است"
    english = send(
        client,
        "POST",
        "/offices/amol/tickets",
        tokens.kiosk,
        json={"service": "post"},
        headers={"Accept-Language": "en"},
    )
    assert (
        english.get_json()["error"]["message"] == "today's tickets for service Post are all taken"
    )
    # The kiosk's menu then shows it as full (its reason_daily_cap), with the cap in force.
    services = send(client, "GET", "/offices/amol/services", tokens.kiosk).get_json()
    post = next(s for s in services if s["code"] == "post")
    assert (post["available"], post["unavailable_reason"], post["daily_cap"]) == (
        False,
        "daily_cap",
        2,
    )
    assert issue(client, tokens.kiosk, "civil")["number"] == "B-001"


def test_times_carry_the_offset_of_the_office_own_zone(app: Flask, client: FlaskClient):
    with app.app_context():
        herat = builders.office(db.session, "herat", timezone="Asia/Kabul")
        kiosk = auth.create_token(db.session, device=TokenKind.KIOSK, office_id=herat.id)
        db.session.commit()
    response = send(client, "POST", "/offices/herat/tickets", kiosk, json={"service": "post"})
    assert response.status_code == 201
    issued_at = datetime.fromisoformat(response.get_json()["issued_at"])
    assert issued_at.utcoffset() == timedelta(hours=4, minutes=30)
