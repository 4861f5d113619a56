"""A citizen's ticket page on the socket: its own ticket's status and nudges, nothing else."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from flask import Flask

from server.extensions import db
from server.live.sockets import socketio
from server.models import Ticket
from tests.conftest import Tokens

PAYLOAD_KEYS = {
    "status", "closed", "number", "ahead", "wait", "counter", "called_at", "recalls", "successor",
}  # fmt: skip


class Office:
    """The office's staff at work over HTTP: a kiosk issues, counter 1's clerk calls."""

    def __init__(self, app: Flask, tokens: Tokens) -> None:
        self.http = app.test_client()
        self.tokens = tokens
        counters = self.http.get("/api/v1/offices/amol/counters", headers=self.clerk).json
        self.counters = [c["id"] for c in counters]

    @property
    def clerk(self) -> dict[str, str]:
        return self.tokens.header(self.tokens.clerk)

    def issue(self, service: str = "civil") -> dict:
        response = self.http.post(
            "/api/v1/offices/amol/tickets",
            json={"service": service},
            headers=self.tokens.header(self.tokens.kiosk),
        )
        assert response.status_code == 201
        return response.json

    def post(self, path: str, body: dict | None = None) -> dict | None:
        response = self.http.post(path, json=body, headers=self.clerk)
        assert response.status_code in (200, 204), response.json
        return response.json

    def call(self, counter: int = 0) -> dict | None:
        return self.post(f"/api/v1/counters/{self.counters[counter]}/next")

    def act(self, ticket: dict, action: str, body: dict | None = None) -> dict | None:
        return self.post(f"/api/v1/tickets/{ticket['id']}/{action}", body)


@pytest.fixture
def office(app: Flask, tokens: Tokens) -> Office:
    return Office(app, tokens)


def link(ticket: dict) -> str:
    return urlsplit(ticket["status_url"]).path.rsplit("/", 1)[1]


def page(app: Flask, ticket: dict, lang: str = "fa"):
    return socketio.test_client(app, auth={"ticket": link(ticket), "lang": lang})


def collect(client, until: Callable[[list[dict]], bool], timeout: float = 5) -> list[dict]:
    """What the socket received, once ``until`` holds (statuses are sent in the background)."""
    got: list[dict] = []
    deadline = time.monotonic() + timeout
    while True:
        got += client.get_received()
        if until(got) or time.monotonic() > deadline:
            return got
        time.sleep(0.01)


def statuses(client, count: int = 1) -> list[dict]:
    """The next ``count`` statuses the page is sent."""
    got = collect(client, lambda got: sum(e["name"] == "ticket" for e in got) >= count)
    return [e["args"][0] for e in got if e["name"] == "ticket"]


def test_a_ticket_page_connects_with_its_link_and_first_receives_its_own_status(app, office):
    ticket = office.issue()
    client = page(app, ticket, "en")
    assert client.is_connected()
    [first] = client.get_received()
    assert first["name"] == "ticket"
    status = first["args"][0]
    assert set(status) == PAYLOAD_KEYS
    assert status["number"] == "B-001" and status["status"] == "waiting"
    assert status["ahead"] == 0 and status["wait"] == "no counter is serving this now"


@pytest.mark.parametrize(
    "auth",
    [
        {"ticket": "not-a-link"},
        {"ticket": ""},
        {"ticket": 42},
        {"ticket": None},
        {"ticket": "x" * 65},
    ],
    ids=["unknown", "empty", "not a string", "none", "too long"],
)
def test_a_wrong_link_is_refused(app, tokens, auth):
    assert not socketio.test_client(app, auth=auth).is_connected()


def test_a_link_of_an_earlier_day_is_refused(app, office):
    ticket = office.issue()
    with app.app_context():
        found = db.session.get(Ticket, ticket["id"])
        found.business_date -= timedelta(days=1)
        db.session.commit()
    assert not page(app, ticket).is_connected()


def test_a_ticket_page_never_gets_the_board_nor_office_rooms(app, office, tokens):
    ticket = office.issue()
    client = page(app, ticket)
    client.get_received()
    # Its snapshot is its own status, never the office's board.
    answer = client.emit("snapshot", callback=True)
    assert set(answer) == PAYLOAD_KEYS and answer["number"] == "B-001"
    assert client.emit("status", callback=True) == answer
    refused = client.emit("join", {"room": f"counter:{office.counters[0]}"}, callback=True)
    assert refused["error"]["code"] == "forbidden"
    for name in ("agent_alive", "print_pending"):
        assert client.emit(name, callback=True)["error"]["code"] in ("unauthorized", "forbidden")
    # A ticket link does not make an office socket ask for a ticket's status.
    display = socketio.test_client(app, auth={"token": tokens.display})
    assert display.emit("status", callback=True)["error"]["code"] == "forbidden"


def test_a_call_reaches_the_page_in_its_language_and_a_recall_alerts_again(app, office):
    ticket = office.issue("insurance")
    persian, english = page(app, ticket, "fa"), page(app, ticket, "en")
    persian.get_received(), english.get_received()
    office.call()
    [called_fa], [called_en] = statuses(persian), statuses(english)
    assert called_fa["status"] == called_en["status"] == "called"
    assert called_en["counter"] == "Counter 1"  # builders name counters in English
    assert called_en["called_at"] and called_en["recalls"] == 0
    office.act(ticket, "recall")
    [recalled] = statuses(english)
    assert recalled["recalls"] == 1 and recalled["called_at"] == called_en["called_at"]


def test_a_transferred_page_gets_the_new_number_and_its_link_then_closes(app, office):
    ticket = office.issue("insurance")
    client = page(app, ticket, "en")
    office.call()
    assert statuses(client, 2)[-1]["status"] == "called"  # after the one on connecting
    new = office.act(ticket, "transfer", {"service": "post"})
    [moved] = statuses(client)
    assert moved["status"] == "transferred" and moved["closed"] is True
    assert moved["successor"] == {"number": new["number"], "url": f"/t/{link(new)}?lang=en"}


def test_a_waiting_page_is_nudged_without_content_when_the_queue_moves(app, office):
    mine = office.issue("civil")
    client = page(app, mine)
    client.get_received()
    office.issue("civil")
    received = client.get_received()
    assert [(e["name"], e["args"]) for e in received] == [("moved", [])]


def test_pages_receive_nothing_about_other_tickets_through_a_whole_day(app, office):
    """Two citizens' pages through issues, calls, a recall, a transfer, a no-show, a
    completion and counters opening and closing: every message each receives is a
    content-free nudge or its own ticket's status."""
    a = office.issue("insurance")
    b = office.issue("civil")
    pages = {"a": page(app, a, "fa"), "b": page(app, b, "en")}
    others = [office.issue(service) for service in ("civil", "post", "insurance")]
    office.call(0)  # a: insurance first at counter 1
    office.act(a, "recall")
    new_a = office.act(a, "transfer", {"service": "post"})
    office.call(1)  # b: civil first at counter 2
    office.act(b, "no-show")
    office.call(1)  # another citizen
    office.act(others[0], "complete")
    office.call(2)  # counter 3 takes a's new ticket (post)
    office.act(new_a, "start")
    office.act(new_a, "complete")
    office.post(f"/api/v1/counters/{office.counters[0]}/close")
    office.post(f"/api/v1/counters/{office.counters[0]}/open")

    own = {"a": {a["number"], new_a["number"]}, "b": {b["number"]}}
    foreign = {t["number"] for t in others}
    last = {"a": "transferred", "b": "no_show"}
    for name, client in pages.items():
        received = collect(
            client,
            lambda got, name=name: any(
                e["name"] == "ticket" and e["args"][0]["status"] == last[name] for e in got
            ),
        )
        time.sleep(0.2)  # anything still on its way
        received += client.get_received()
        assert {e["name"] for e in received} == {"ticket", "moved"}
        for message in received:
            if message["name"] == "moved":
                assert message["args"] == []
                continue
            [status] = message["args"]
            assert set(status) == PAYLOAD_KEYS
            assert status["number"] in own[name]
            text = json.dumps(status, ensure_ascii=False)
            assert not any(number in text for number in foreign), text
            assert not any(number in text for number in own["b" if name == "a" else "a"])
    # The last each heard of its own ticket: a went elsewhere, b did not come.
    assert pages["a"].emit("status", callback=True)["status"] == "transferred"
    assert pages["b"].emit("status", callback=True)["status"] == "no_show"
