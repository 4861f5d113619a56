"""The live board of an office: waiting counts, estimates, counters, recent calls, sequence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask.testing import FlaskClient

from tests.api.helpers import act, board, call_next, command, issue, local_time, send, waiting
from tests.conftest import Tokens


def test_the_board_of_a_quiet_office(client: FlaskClient, tokens: Tokens):
    """Every counter is closed: no time is invented, and the words say why."""
    response = send(client, "GET", "/offices/amol/queue", tokens.display)
    assert response.status_code == 200
    queue = response.get_json()
    assert set(queue) >= {"office", "seq", "at", "services", "counters", "recent_calls"}
    assert queue["office"] == "amol"
    assert isinstance(queue["seq"], int) and queue["seq"] >= 0
    at = local_time(queue["at"])
    assert abs(at - datetime.now(UTC)) < timedelta(seconds=5)
    assert [s["code"] for s in queue["services"]] == ["insurance", "civil", "post"]
    for service in queue["services"]:
        assert (service["waiting"], service["eta_seconds"], service["eta_range"]) == (0, None, None)
        assert service["eta_text"] == {
            "fa": "فعلاً باجه‌ای به این خدمت رسیدگی نمی‌کند",
            "en": "no counter is serving this now",
        }
        assert service["active"] is True
        assert service["target_wait_seconds"] == 600
    assert [(c["number"], c["name"], c["state"], c["ticket"]) for c in queue["counters"]] == [
        (1, "Counter 1", "closed", None),
        (2, "Counter 2", "closed", None),
        (3, "Counter 3", "closed", None),
    ]
    assert queue["recent_calls"] == []


def test_waiting_counts_and_estimates_follow_issues_calls_and_cancels(
    client: FlaskClient, tokens: Tokens, counters: dict[int, int]
):
    command(client, tokens.clerk2, counters[2], "open")
    issue(client, tokens.kiosk, "civil")
    second = issue(client, tokens.kiosk, "civil")
    issue(client, tokens.kiosk, "post")
    queue = board(client, tokens.display)
    assert {s["code"]: s["waiting"] for s in queue["services"]} == {
        "insurance": 0,
        "civil": 2,
        "post": 1,
    }
    civil = queue["services"][1]
    assert civil["eta_seconds"] > 0
    low, high = civil["eta_range"]
    assert low <= civil["eta_seconds"] <= high
    assert civil["eta_text"]["en"].endswith("minutes")

    call_next(client, tokens.clerk2, counters[2])
    assert waiting(client, tokens.display) == {"insurance": 0, "civil": 1, "post": 1}
    act(client, tokens.clerk, second["id"], "cancel")
    assert waiting(client, tokens.display) == {"insurance": 0, "civil": 0, "post": 1}


def test_a_called_ticket_shows_on_its_counter_and_in_recent_calls(
    client: FlaskClient, tokens: Tokens, counters: dict[int, int]
):
    ticket = issue(client, tokens.kiosk, "post", priority=True, priority_reason="veteran")
    call_next(client, tokens.clerk, counters[3])
    act(client, tokens.clerk, ticket["id"], "recall")
    queue = board(client, tokens.display)
    at_three = {c["number"]: c for c in queue["counters"]}[3]
    assert at_three["state"] == "open"
    shown = at_three["ticket"]
    assert shown["id"] == ticket["id"]
    assert (shown["number"], shown["service"], shown["status"]) == ("C-001", "post", "called")
    assert (shown["counter"], shown["counter_name"]) == (counters[3], "Counter 3")
    assert (shown["priority"], shown["recall_count"]) == (True, 1)
    local_time(shown["called_at"])
    assert queue["recent_calls"] == [shown]


def test_recent_calls_come_newest_first(
    client: FlaskClient, tokens: Tokens, counters: dict[int, int]
):
    numbers = [issue(client, tokens.kiosk, "civil")["number"] for _ in range(3)]
    for _ in numbers:
        call_next(client, tokens.clerk2, counters[2])
    recent = board(client, tokens.clerk)["recent_calls"]
    assert [t["number"] for t in recent] == numbers[::-1]
    assert [t["status"] for t in recent] == ["called", "done", "done"]


def test_the_sequence_number_rises_with_every_change_and_only_then(
    client: FlaskClient, tokens: Tokens, counters: dict[int, int]
):
    seen = [board(client, tokens.display)["seq"]]

    def changed() -> None:
        seq = board(client, tokens.display)["seq"]
        assert seq > seen[-1], seen
        seen.append(seq)

    def unchanged() -> None:
        assert board(client, tokens.display)["seq"] == seen[-1]

    unchanged()
    first = issue(client, tokens.kiosk, "insurance")
    changed()
    second = issue(client, tokens.kiosk, "insurance")
    changed()
    call_next(client, tokens.clerk, counters[1])
    changed()
    act(client, tokens.clerk, first["id"], "recall")
    changed()
    act(client, tokens.clerk, first["id"], "start")
    changed()
    act(client, tokens.clerk, first["id"], "transfer", json={"service": "post"})
    changed()
    act(client, tokens.clerk, second["id"], "cancel")
    changed()
    assert call_next(client, tokens.clerk, counters[1]) is None
    unchanged()
    command(client, tokens.clerk, counters[1], "pause")
    changed()
    command(client, tokens.clerk, counters[1], "open")
    changed()
    command(client, tokens.clerk, counters[1], "close")
    changed()
    called = call_next(client, tokens.clerk, counters[3])
    changed()
    act(client, tokens.clerk, called["id"], "no-show")
    changed()
    # Refused requests change nothing.
    send(client, "POST", f"/tickets/{called['id']}/complete", tokens.clerk)
    unchanged()
