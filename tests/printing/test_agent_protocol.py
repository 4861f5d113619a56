"""The print agent's side of the Socket.IO protocol, in one process: what the server sends a
print agent, what it accepts back, and what the kiosk screen hears.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask import Flask

from kiosk.agent_jobs import expired
from printer_drivers import Paper, TicketPrint, render_ticket
from server.extensions import db
from server.live.sockets import socketio
from server.models import PrintJob
from tests.conftest import Tokens
from tests.printing.conftest import kiosk_token


def issue(app: Flask, token: str) -> dict:
    response = app.test_client().post(
        "/api/v1/offices/amol/tickets", json={"service": "civil"}, headers=Tokens.header(token)
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def state(app: Flask, job_id: int) -> tuple[str, str | None]:
    with app.app_context():
        job = db.session.get(PrintJob, job_id)
        return job.state.value, job.reason


def received(client, name: str) -> list:
    return [e["args"][0] for e in client.get_received() if e["name"] == name]


@pytest.fixture
def sockets(app: Flask) -> Iterator:
    """Connects test sockets and disconnects them all afterwards."""
    opened = []

    def connect(token: str, **auth):
        client = socketio.test_client(app, auth={"token": token, **auth})
        opened.append(client)
        return client

    yield connect
    for client in opened:
        if client.is_connected():
            client.disconnect()


@pytest.fixture
def kiosk(app: Flask, tokens: Tokens) -> str:
    """A kiosk of office amol whose tickets a print agent prints."""
    return kiosk_token(app, "agent")


def test_without_an_agent_a_job_waits_and_the_kiosk_is_told_why(app, kiosk, sockets):
    screen = sockets(kiosk)
    job = issue(app, kiosk)["print"]
    assert (job["state"], job["reason"]) == ("pending", "agent_not_connected")
    statuses = received(screen, "print_status")
    assert [(s["id"], s["reason"]) for s in statuses] == [(job["id"], "agent_not_connected")]


def test_a_connected_agent_is_sent_each_job_with_its_ticket_and_deadline(app, kiosk, sockets):
    agent = sockets(kiosk, agent=True)
    agent.get_received()
    ticket = issue(app, kiosk)
    assert ticket["print"]["reason"] is None
    [sent] = received(agent, "print")
    assert sent["job"] == ticket["print"]["id"]
    assert sent["ticket"]["number"] == ticket["number"]
    assert sent["ticket"]["status_url"] == ticket["status_url"]
    assert not expired(sent)
    # What the server sends is what the agent renders: a Persian ticket with its offset.
    data = TicketPrint.from_data(sent["ticket"])
    assert data.issued_at.utcoffset() == timedelta(hours=3, minutes=30)
    assert render_ticket(data, Paper.MM58).width == 384


def test_an_agent_coming_back_gets_fresh_jobs_and_old_ones_go_stale(app, kiosk, sockets):
    old, fresh = (issue(app, kiosk)["print"]["id"] for _ in range(2))
    with app.app_context():  # the outage lasted longer than PRINT_MAX_AGE for the first
        job = db.session.get(PrintJob, old)
        job.created_at -= timedelta(seconds=app.config["PRINT_MAX_AGE"] + 1)
        db.session.commit()

    agent = sockets(kiosk, agent=True)
    answer = agent.emit("print_pending", callback=True)
    assert [j["job"] for j in answer["jobs"]] == [fresh]
    assert state(app, old) == ("stale", "stale")
    assert state(app, fresh)[0] == "pending"


def test_results_reach_the_kiosk_screen_and_each_job_ends_once(app, kiosk, sockets):
    screen, agent = sockets(kiosk), sockets(kiosk, agent=True)
    job = issue(app, kiosk)["print"]["id"]
    screen.get_received()

    result = {"job": job, "state": "failed", "reason": "paper_out", "message": "no paper"}
    assert agent.emit("print_result", result, callback=True) == {"ok": True}
    [status] = received(screen, "print_status")
    assert (status["id"], status["state"], status["reason"]) == (job, "failed", "paper_out")
    assert status["message"] == "no paper"

    again = {"job": job, "state": "printed"}
    assert agent.emit("print_result", again, callback=True) == {"ok": True}
    assert state(app, job) == ("failed", "paper_out")  # a late report changes nothing
    assert received(screen, "print_status") == []


def test_only_the_kiosks_own_agent_reports_and_asks_for_jobs(app, tokens, kiosk, sockets):
    job = issue(app, kiosk)["print"]["id"]
    report = {"job": job, "state": "printed"}
    neighbour = sockets(kiosk_token(app, "agent"), agent=True)
    assert neighbour.emit("print_result", report, callback=True)["error"]["code"] == "forbidden"
    screen = sockets(kiosk)
    for event in ("print_result", "print_pending", "agent_alive"):
        assert screen.emit(event, report, callback=True)["error"]["code"] == "forbidden"
    assert not sockets(tokens.display, agent=True).is_connected()
    assert not sockets(tokens.clerk, agent=True).is_connected()
    assert state(app, job) == ("pending", "agent_not_connected")


@pytest.mark.parametrize(
    "report",
    [None, {"job": "1", "state": "printed"}, {"state": "printed"}, {"job": 1, "state": "lost"}],
    ids=["nothing", "job as text", "no job", "unknown state"],
)
def test_a_malformed_result_is_refused(app, kiosk, sockets, report):
    agent = sockets(kiosk, agent=True)
    assert agent.emit("print_result", report, callback=True)["error"]["code"] == "invalid"


def test_an_agent_that_leaves_is_no_longer_counted_on(app, kiosk, sockets):
    agent = sockets(kiosk, agent=True)
    assert agent.emit("agent_alive", callback=True) == {"ok": True}
    assert issue(app, kiosk)["print"]["reason"] is None
    agent.disconnect()
    assert issue(app, kiosk)["print"]["reason"] == "agent_not_connected"
