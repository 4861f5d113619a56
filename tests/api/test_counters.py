"""The office's services and counters, and the counter commands: next, open, pause, close."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.api.helpers import act, assert_error, board, call_next, command, issue, send, subset
from tests.conftest import Tokens


def _counters(client: FlaskClient, token: str) -> dict[int, dict]:
    response = send(client, "GET", "/offices/amol/counters", token)
    assert response.status_code == 200
    return {c["number"]: c for c in response.get_json()}


def test_services_are_listed_in_display_order(client: FlaskClient, tokens: Tokens):
    response = send(client, "GET", "/offices/amol/services", tokens.kiosk)
    assert response.status_code == 200
    expected = [
        {
            "code": code,
            "letter": letter,
            "name_fa": f"خدمت {code}",
            "name_en": code.title(),
            "group": code,
            "target_wait_seconds": 600,
            "active": True,
        }
        for code, letter in (("insurance", "A"), ("civil", "B"), ("post", "C"))
    ]
    # The contract's fields, whatever else a service carries.
    assert [subset(s, tuple(expected[0])) for s in response.get_json()] == expected


def test_counters_are_listed_with_state_and_services_by_tier(client: FlaskClient, tokens: Tokens):
    response = send(client, "GET", "/offices/amol/counters", tokens.display)
    assert response.status_code == 200
    listed = response.get_json()
    assert [c["number"] for c in listed] == [1, 2, 3]
    assert len({c["id"] for c in listed}) == 3
    for counter in listed:
        assert isinstance(counter["id"], int)
        assert counter["name"] == f"Counter {counter['number']}"
        assert (counter["state"], counter["clerk"]) == ("closed", None)
    assert [c["services"] for c in listed] == [
        [{"service": "insurance", "tier": 1}, {"service": "civil", "tier": 2}],
        [{"service": "civil", "tier": 1}],
        [{"service": "post", "tier": 1}, {"service": "insurance", "tier": 2}],
    ]


def test_next_with_nothing_waiting_is_204_and_opens_the_counter(
    client: FlaskClient, tokens: Tokens, counters: dict[int, int]
):
    response = send(client, "POST", f"/counters/{counters[2]}/next", tokens.clerk)
    assert response.status_code == 204
    assert response.data == b""
    counter = _counters(client, tokens.clerk)[2]
    assert (counter["state"], counter["clerk"]) == ("open", "clerk1")


def test_next_calls_the_longest_waiting_ticket_of_the_highest_tier(
    client: FlaskClient, tokens: Tokens, counters: dict[int, int]
):
    civil = issue(client, tokens.kiosk, "civil")
    insurance = issue(client, tokens.kiosk, "insurance")
    later = issue(client, tokens.kiosk, "insurance")
    # Counter 1 serves insurance first (tier 1), civil only when no insurance waits.
    assert call_next(client, tokens.clerk, counters[1])["id"] == insurance["id"]
    assert call_next(client, tokens.clerk, counters[1])["id"] == later["id"]
    assert call_next(client, tokens.clerk, counters[1])["id"] == civil["id"]
    assert call_next(client, tokens.clerk, counters[1]) is None


def test_next_finishes_the_current_ticket_as_served(
    client: FlaskClient, tokens: Tokens, counters: dict[int, int]
):
    first = issue(client, tokens.kiosk, "post")
    second = issue(client, tokens.kiosk, "post")
    call_next(client, tokens.clerk, counters[3])
    act(client, tokens.clerk, first["id"], "start")
    assert call_next(client, tokens.clerk, counters[3])["id"] == second["id"]
    assert call_next(client, tokens.clerk, counters[3]) is None
    statuses = {t["id"]: t["status"] for t in board(client, tokens.clerk)["recent_calls"]}
    assert statuses == {first["id"]: "done", second["id"]: "done"}
    assert_error(
        send(client, "POST", f"/tickets/{second['id']}/complete", tokens.clerk),
        409,
        "illegal_transition",
    )


def test_two_counters_never_call_the_same_ticket(
    client: FlaskClient, tokens: Tokens, counters: dict[int, int]
):
    first = issue(client, tokens.kiosk, "civil")
    second = issue(client, tokens.kiosk, "civil")
    at_two = call_next(client, tokens.clerk2, counters[2])
    at_one = call_next(client, tokens.clerk, counters[1])
    assert (at_two["id"], at_one["id"]) == (first["id"], second["id"])
    assert (at_two["counter"]["number"], at_one["counter"]["number"]) == (2, 1)
    assert call_next(client, tokens.clerk2, counters[2]) is None
    assert call_next(client, tokens.clerk, counters[1]) is None


def test_a_counter_open_for_another_clerk_is_busy_until_taken_over(
    client: FlaskClient, tokens: Tokens, counters: dict[int, int]
):
    one = counters[1]
    assert call_next(client, tokens.clerk, one) is None
    for name in ("next", "open", "pause", "close"):
        assert_error(
            send(client, "POST", f"/counters/{one}/{name}", tokens.clerk2), 409, "counter_busy"
        )
    taken = command(client, tokens.clerk2, one, "takeover")
    assert (taken["state"], taken["clerk"]) == ("open", "clerk2")
    assert_error(send(client, "POST", f"/counters/{one}/next", tokens.clerk), 409, "counter_busy")
    assert call_next(client, tokens.clerk2, one) is None


def test_open_pause_and_close_move_a_counter_between_states(
    client: FlaskClient, tokens: Tokens, counters: dict[int, int]
):
    three = counters[3]
    opened = command(client, tokens.clerk, three, "open")
    assert subset(opened) == {
        "id": three,
        "number": 3,
        "name": "Counter 3",
        "state": "open",
        "clerk": "clerk1",
        "services": [{"service": "post", "tier": 1}, {"service": "insurance", "tier": 2}],
    }
    assert command(client, tokens.clerk, three, "open")["state"] == "open"
    paused = command(client, tokens.clerk, three, "pause")
    assert (paused["state"], paused["clerk"]) == ("paused", "clerk1")
    assert command(client, tokens.clerk, three, "pause")["state"] == "paused"
    assert _counters(client, tokens.clerk)[3]["state"] == "paused"

    closed = command(client, tokens.clerk, three, "close")
    assert (closed["state"], closed["clerk"]) == ("closed", None)
    assert command(client, tokens.clerk, three, "close")["state"] == "closed"
    assert_error(send(client, "POST", f"/counters/{three}/pause", tokens.clerk), 409, "conflict")
    # Closed and free: another clerk may open it.
    assert command(client, tokens.clerk2, three, "open")["clerk"] == "clerk2"


def test_next_at_a_paused_counter_opens_it_again(
    client: FlaskClient, tokens: Tokens, counters: dict[int, int]
):
    ticket = issue(client, tokens.kiosk, "post")
    command(client, tokens.clerk, counters[3], "open")
    command(client, tokens.clerk, counters[3], "pause")
    assert call_next(client, tokens.clerk, counters[3])["id"] == ticket["id"]
    assert _counters(client, tokens.clerk)[3]["state"] == "open"


def test_a_counter_with_a_citizen_at_it_cannot_close(
    client: FlaskClient, tokens: Tokens, counters: dict[int, int]
):
    ticket = issue(client, tokens.kiosk, "insurance")
    call_next(client, tokens.clerk, counters[1])
    close = f"/counters/{counters[1]}/close"
    assert_error(send(client, "POST", close, tokens.clerk), 409, "conflict")
    act(client, tokens.clerk, ticket["id"], "start")
    assert_error(send(client, "POST", close, tokens.clerk), 409, "conflict")
    act(client, tokens.clerk, ticket["id"], "complete")
    assert command(client, tokens.clerk, counters[1], "close")["state"] == "closed"
