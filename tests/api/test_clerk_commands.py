"""What a clerk does at a counter beyond *next*: the counter's screen, safe retries, calls
by number, parking, takeovers, pauses with a reason, and look-ups by number."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select

from harness import builders
from server.extensions import db
from server.models import Counter, EventType, TicketEvent, User
from tests.api.helpers import act, assert_error, call_next, command, issue, send
from tests.conftest import Tokens


def screen(client: FlaskClient, token: str, counter: int) -> dict:
    response = send(client, "GET", f"/counters/{counter}", token)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def post(client: FlaskClient, token: str, path: str, **kwargs) -> dict:
    response = send(client, "POST", path, token, **kwargs)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def trail(app, ticket_id: int | None = None, type: EventType | None = None) -> list[TicketEvent]:
    with app.app_context():
        query = select(TicketEvent).order_by(TicketEvent.seq)
        if ticket_id is not None:
            query = query.where(TicketEvent.ticket_id == ticket_id)
        if type is not None:
            query = query.where(TicketEvent.type == type)
        rows = db.session.scalars(query).all()
        db.session.expunge_all()
        return rows


# --- the counter's screen -------------------------------------------------------------


def test_the_screen_shows_what_waits_for_the_counter_by_tier_and_what_next_would_take(
    client: FlaskClient, tokens: Tokens, counters: dict[int, int]
):
    civil = issue(client, tokens.kiosk, "civil")
    first = issue(client, tokens.kiosk, "insurance")
    issue(client, tokens.kiosk, "insurance")
    issue(client, tokens.kiosk, "post")  # not served at counter 1
    seen = screen(client, tokens.clerk, counters[1])
    assert [(q["code"], q["tier"], q["waiting"]) for q in seen["queues"]] == [
        ("insurance", 1, 2),
        ("civil", 2, 1),
    ]
    assert seen["queues"][0]["longest_wait_seconds"] >= 0
    assert seen["queues"][0]["oldest_queued_at"] == first["issued_at"]
    assert seen["next"]["id"] == first["id"]  # tier 1 first, though civil came earlier
    assert seen["current"] is None
    assert (seen["today"], seen["parked"]) == ({"served": 0, "no_show": 0}, [])
    assert call_next(client, tokens.clerk, counters[1])["id"] == seen["next"]["id"]
    assert civil["id"] != seen["next"]["id"]


def test_the_screen_shows_the_current_ticket_and_the_clerks_day(
    client: FlaskClient, tokens: Tokens, counters: dict[int, int]
):
    for _ in range(3):
        issue(client, tokens.kiosk, "post")
    absent = call_next(client, tokens.clerk, counters[3])
    act(client, tokens.clerk, absent["id"], "no-show")
    call_next(client, tokens.clerk, counters[3])
    current = call_next(client, tokens.clerk, counters[3])  # finishes the second as served
    seen = screen(client, tokens.clerk, counters[3])
    assert (seen["current"]["id"], seen["current"]["status"]) == (current["id"], "called")
    assert seen["today"] == {"served": 1, "no_show": 1}
    assert seen["counter"]["clerk"] == "clerk1"
    assert screen(client, tokens.clerk2, counters[3])["today"] == {"served": 0, "no_show": 0}


def test_the_screen_names_the_number_a_transferred_citizen_came_from(
    client: FlaskClient, tokens: Tokens, counters: dict[int, int]
):
    first = issue(client, tokens.kiosk, "insurance")
    call_next(client, tokens.clerk, counters[1])
    moved = act(client, tokens.clerk, first["id"], "transfer", json={"service": "civil"})
    assert call_next(client, tokens.clerk2, counters[2])["id"] == moved["id"]
    seen = screen(client, tokens.clerk2, counters[2])
    assert seen["current_transferred_from"] == first["number"]


# --- call next, safely ------------------------------------------------------------------


def test_a_retried_next_with_the_same_key_gets_the_same_ticket_and_calls_no_other(
    client: FlaskClient, tokens: Tokens, counters: dict[int, int]
):
    first = issue(client, tokens.kiosk, "post")
    second = issue(client, tokens.kiosk, "post")
    headers = {"Idempotency-Key": "press-0001"}
    path = f"/counters/{counters[3]}/next"
    called = post(client, tokens.clerk, path, headers=headers)
    again = post(client, tokens.clerk, path, headers=headers)
    assert called["id"] == again["id"] == first["id"]
    assert screen(client, tokens.clerk, counters[3])["next"]["id"] == second["id"]
    assert len(trail(client.application, type=EventType.CALLED)) == 1


def test_a_next_key_of_another_clerk_is_refused(
    client: FlaskClient, tokens: Tokens, counters: dict[int, int]
):
    issue(client, tokens.kiosk, "post")
    path = f"/counters/{counters[3]}/next"
    post(client, tokens.clerk, path, headers={"Idempotency-Key": "press-0002"})
    command(client, tokens.clerk2, counters[3], "takeover")
    response = send(client, "POST", path, tokens.clerk2, headers={"Idempotency-Key": "press-0002"})
    assert_error(response, 409, "idempotency_key_reused")


def test_next_that_expects_another_current_ticket_does_nothing(
    client: FlaskClient, tokens: Tokens, counters: dict[int, int]
):
    first = issue(client, tokens.kiosk, "post")
    issue(client, tokens.kiosk, "post")
    path = f"/counters/{counters[3]}/next"
    # A second window (or a double press) believes the counter is still idle.
    assert post(client, tokens.clerk, path, json={"current": None})["id"] == first["id"]
    stale = send(client, "POST", path, tokens.clerk, json={"current": None})
    error = assert_error(stale, 409, "changed_meanwhile")
    assert first["number"] in error["message"]
    seen = screen(client, tokens.clerk, counters[3])
    assert (seen["current"]["id"], seen["current"]["status"]) == (first["id"], "called")
    # Told what is current, it finishes that one and calls the next.
    assert post(client, tokens.clerk, path, json={"current": first["id"]})["id"] != first["id"]


def test_next_without_a_body_still_finishes_whatever_is_current(
    client: FlaskClient, tokens: Tokens, counters: dict[int, int]
):
    first = issue(client, tokens.kiosk, "post")
    second = issue(client, tokens.kiosk, "post")
    call_next(client, tokens.clerk, counters[3])
    assert call_next(client, tokens.clerk, counters[3])["id"] == second["id"]
    assert trail(client.application, first["id"])[-1].type is EventType.DONE


# --- call by number ---------------------------------------------------------------------


def test_a_waiting_ticket_is_called_out_of_turn_by_its_number_as_typed(
    client: FlaskClient, tokens: Tokens, counters: dict[int, int]
):
    issue(client, tokens.kiosk, "post")
    later = issue(client, tokens.kiosk, "post")
    typed = later["number"].lower().replace("-00", " ")  # "c 2"
    called = post(client, tokens.clerk, f"/counters/{counters[3]}/call", json={"number": typed})
    assert (called["id"], called["status"], called["counter"]["number"]) == (
        later["id"],
        "called",
        3,
    )
    assert trail(client.application, later["id"])[-1].detail == "out of turn"


def test_a_returning_no_show_is_reinstated_behind_no_one(
    client: FlaskClient, tokens: Tokens, counters: dict[int, int]
):
    absent = issue(client, tokens.kiosk, "post")
    waiting = issue(client, tokens.kiosk, "post")
    call_next(client, tokens.clerk, counters[3])
    act(client, tokens.clerk, absent["id"], "no-show")
    back = post(
        client, tokens.clerk, f"/counters/{counters[3]}/call", json={"number": absent["number"]}
    )
    assert (back["id"], back["status"], back["finished_at"]) == (absent["id"], "called", None)
    assert trail(client.application, absent["id"])[-1].type is EventType.REINSTATED
    assert screen(client, tokens.clerk, counters[3])["next"]["id"] == waiting["id"]


def test_calling_by_number_explains_why_a_ticket_cannot_be_called(
    client: FlaskClient, tokens: Tokens, counters: dict[int, int]
):
    ticket = issue(client, tokens.kiosk, "civil")
    call_next(client, tokens.clerk2, counters[2])
    path = f"/counters/{counters[1]}/call"

    def refused(number: str, status: int, code: str) -> str:
        response = send(client, "POST", path, tokens.clerk, json={"number": number})
        return assert_error(response, status, code)["message"]

    assert "Counter 2" in refused(ticket["number"], 409, "changed_meanwhile")
    assert refused("Z-999", 404, "not_found")
    assert refused("hello", 422, "invalid_number")
    post_ticket = issue(client, tokens.kiosk, "post")
    assert refused(post_ticket["number"], 409, "conflict")  # counter 1 does not serve post


# --- parking ----------------------------------------------------------------------------


def test_a_parked_citizen_waits_aside_and_is_resumed_at_the_same_counter(
    client: FlaskClient, tokens: Tokens, counters: dict[int, int]
):
    first = issue(client, tokens.kiosk, "post")
    second = issue(client, tokens.kiosk, "post")
    call_next(client, tokens.clerk, counters[3])
    act(client, tokens.clerk, first["id"], "start")
    parked = act(client, tokens.clerk, first["id"], "park")
    assert (parked["status"], parked["counter"]["number"]) == ("parked", 3)
    seen = screen(client, tokens.clerk, counters[3])
    assert (seen["current"], [t["id"] for t in seen["parked"]]) == (None, [first["id"]])
    assert call_next(client, tokens.clerk, counters[3])["id"] == second["id"]
    busy = send(client, "POST", f"/tickets/{first['id']}/resume", tokens.clerk)
    assert second["number"] in assert_error(busy, 409, "conflict")["message"]
    act(client, tokens.clerk, second["id"], "complete")
    resumed = act(client, tokens.clerk, first["id"], "resume")
    assert resumed["status"] == "serving"
    assert screen(client, tokens.clerk, counters[3])["parked"] == []


def test_a_counter_with_parked_citizens_does_not_close(
    client: FlaskClient, tokens: Tokens, counters: dict[int, int]
):
    ticket = issue(client, tokens.kiosk, "post")
    call_next(client, tokens.clerk, counters[3])
    act(client, tokens.clerk, ticket["id"], "park")
    assert_error(
        send(client, "POST", f"/counters/{counters[3]}/close", tokens.clerk), 409, "conflict"
    )
    act(client, tokens.clerk, ticket["id"], "no-show")
    assert command(client, tokens.clerk, counters[3], "close")["state"] == "closed"


# --- holding a counter ------------------------------------------------------------------


def test_another_clerk_cannot_finish_a_ticket_at_a_counter_held_by_someone_else(
    client: FlaskClient, tokens: Tokens, counters: dict[int, int]
):
    ticket = issue(client, tokens.kiosk, "post")
    call_next(client, tokens.clerk, counters[3])
    for action in ("recall", "start", "park", "complete", "no-show"):
        response = send(client, "POST", f"/tickets/{ticket['id']}/{action}", tokens.clerk2)
        assert_error(response, 409, "counter_busy")
    moved = send(
        client,
        "POST",
        f"/tickets/{ticket['id']}/transfer",
        tokens.clerk2,
        json={"service": "civil"},
    )
    assert_error(moved, 409, "counter_busy")
    command(client, tokens.clerk2, counters[3], "takeover")
    assert act(client, tokens.clerk2, ticket["id"], "complete")["status"] == "done"


def test_a_takeover_is_logged_with_whom_it_was_taken_from(
    client: FlaskClient, tokens: Tokens, counters: dict[int, int]
):
    command(client, tokens.clerk, counters[1], "open")
    taken = command(client, tokens.manager, counters[1], "takeover")
    assert taken["clerk"] == "manager"
    (row,) = [
        r for r in trail(client.application, type=EventType.COUNTER) if "takeover" in r.detail
    ]
    with client.application.app_context():
        clerk1 = db.session.scalar(select(User.id).where(User.username == "clerk1"))
        manager = db.session.scalar(select(User.id).where(User.username == "manager"))
    assert (row.detail, row.actor_id, row.counter_id) == (
        f"open:takeover:{clerk1}",
        manager,
        counters[1],
    )


def test_a_pause_says_why_and_resuming_clears_it(
    client: FlaskClient, tokens: Tokens, counters: dict[int, int]
):
    command(client, tokens.clerk, counters[1], "open")
    paused = post(client, tokens.clerk, f"/counters/{counters[1]}/pause", json={"reason": "prayer"})
    assert (paused["state"], paused["pause_reason"]) == ("paused", "prayer")
    lunch = post(client, tokens.clerk, f"/counters/{counters[1]}/pause", json={"reason": "lunch"})
    assert lunch["pause_reason"] == "lunch"
    resumed = command(client, tokens.clerk, counters[1], "open")
    assert (resumed["state"], resumed["pause_reason"]) == ("open", None)
    details = [r.detail for r in trail(client.application, type=EventType.COUNTER)]
    assert details == ["open", "paused:prayer", "paused:lunch", "open"]
    refused = send(
        client, "POST", f"/counters/{counters[1]}/pause", tokens.clerk, json={"reason": "nap"}
    )
    assert_error(refused, 422, "invalid")


# --- look-up by number ------------------------------------------------------------------


def test_a_ticket_of_today_is_found_by_its_number_to_cancel_it(
    client: FlaskClient, tokens: Tokens, counters: dict[int, int]
):
    ticket = issue(client, tokens.kiosk, "civil")
    response = send(client, "GET", "/offices/amol/tickets?number=b1", tokens.clerk)
    assert [t["id"] for t in response.get_json()] == [ticket["id"]]
    assert act(client, tokens.clerk, ticket["id"], "cancel")["status"] == "cancelled"
    none = send(client, "GET", "/offices/amol/tickets?number=B-099", tokens.clerk)
    assert (none.status_code, none.get_json()) == (200, [])
    assert_error(
        send(client, "GET", "/offices/amol/tickets?number=x", tokens.clerk), 422, "invalid_number"
    )
    assert_error(
        send(client, "GET", "/offices/amol/tickets?number=B-1", tokens.kiosk), 403, "forbidden"
    )


# --- a keypad at the counter ------------------------------------------------------------


def keypad_of(client: FlaskClient, counter_id: int) -> str:
    """A counter device's token (the serial bridge's) for ``counter_id``."""
    with client.application.app_context():
        secret = builders.counter_token(db.session, db.session.get(Counter, counter_id))
        db.session.commit()
        return secret


def test_a_keypad_acts_for_the_clerk_who_holds_its_counter(
    client: FlaskClient, tokens: Tokens, counters: dict[int, int]
):
    keypad = keypad_of(client, counters[3])
    ticket = issue(client, tokens.kiosk, "post")
    closed = send(client, "POST", f"/counters/{counters[3]}/next", keypad)
    # Nobody to act for: the clerk opens the counter on the page first.
    assert "صفحهٔ باجه" in assert_error(closed, 409, "conflict")["message"]
    command(client, tokens.clerk, counters[3], "open")
    assert call_next(client, keypad, counters[3])["id"] == ticket["id"]
    assert act(client, keypad, ticket["id"], "start")["status"] == "serving"
    assert screen(client, keypad, counters[3])["current"]["id"] == ticket["id"]
    (called,) = trail(client.application, ticket["id"], EventType.CALLED)
    with client.application.app_context():
        clerk1 = db.session.scalar(select(User.id).where(User.username == "clerk1"))
    assert called.actor_id == clerk1
    assert called.device_token_id is not None


def test_a_keypad_does_nothing_at_another_counter_nor_to_waiting_tickets(
    client: FlaskClient, tokens: Tokens, counters: dict[int, int]
):
    keypad = keypad_of(client, counters[3])
    command(client, tokens.clerk, counters[1], "open")
    waiting = issue(client, tokens.kiosk, "civil")
    for method, path in (
        ("POST", f"/counters/{counters[1]}/next"),
        ("GET", f"/counters/{counters[1]}"),
        ("POST", f"/tickets/{waiting['id']}/cancel"),
    ):
        assert_error(send(client, method, path, keypad), 403, "forbidden")
    assert_error(send(client, "GET", "/offices/amol/tickets?number=B-1", keypad), 403, "forbidden")
