"""Sockets in one process: who may connect, which rooms they may join, what they receive."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select

from harness import builders
from server.extensions import db
from server.live.sockets import socketio
from server.models import Counter, Office
from tests.conftest import Tokens
from tests.sign_in import csrf_token, sign_in


def connect(app: Flask, token: str | None, **auth):
    payload = {"token": token, **auth} if token is not None else None
    return socketio.test_client(app, auth=payload)


def events(client, name: str | None = None) -> list[dict]:
    return [e for e in client.get_received() if name is None or e["name"] == name]


@pytest.mark.parametrize("who", ["display", "kiosk", "clerk", "manager"])
def test_a_member_of_the_office_connects_and_first_receives_a_snapshot(app, tokens, who):
    client = connect(app, getattr(tokens, who))
    assert client.is_connected()
    first = client.get_received()[0]
    assert first["name"] == "snapshot"
    board = first["args"][0]
    assert board["office"] == "amol"
    assert board["seq"] == 0
    assert {s["code"] for s in board["services"]} == {"insurance", "civil", "post"}


@pytest.mark.parametrize(
    "auth",
    [None, {"token": ""}, {"token": "nbt_forged"}, {"token": 42}, {"office": "amol"}],
    ids=["no auth", "empty token", "unknown token", "token not a string", "no token"],
)
def test_a_socket_without_valid_credentials_is_refused(app, tokens, auth):
    client = socketio.test_client(app, auth=auth)
    assert not client.is_connected()


def test_a_socket_cannot_watch_another_office(app, tokens):
    assert not connect(app, tokens.display, office="babol").is_connected()
    assert not connect(app, tokens.other_clerk, office="amol").is_connected()


def test_an_administrator_names_the_office_to_watch(app, tokens):
    assert not connect(app, tokens.admin).is_connected()
    client = connect(app, tokens.admin, office="babol")
    assert client.get_received()[0]["args"][0]["office"] == "babol"


def test_events_reach_only_the_office_they_happened_in(app, tokens):
    amol = connect(app, tokens.display)
    babol = connect(app, tokens.other_display)
    amol.get_received(), babol.get_received()
    http = app.test_client()
    response = http.post(
        "/api/v1/offices/amol/tickets",
        json={"service": "civil"},
        headers=tokens.header(tokens.kiosk),
    )
    assert response.status_code == 201
    issued = events(amol, "issued")
    assert [(e["args"][0]["seq"], e["args"][0]["ticket"]["number"]) for e in issued] == [
        (1, "B-001")
    ]
    assert babol.get_received() == []


def test_every_event_carries_the_next_sequence_number(app, tokens):
    display = connect(app, tokens.display)
    display.get_received()
    http = app.test_client()
    for service in ("civil", "insurance"):
        http.post(
            "/api/v1/offices/amol/tickets",
            json={"service": service},
            headers=tokens.header(tokens.kiosk),
        )
    counters = http.get("/api/v1/offices/amol/counters", headers=tokens.header(tokens.clerk)).json
    http.post(f"/api/v1/counters/{counters[0]['id']}/next", headers=tokens.header(tokens.clerk))
    received = [(e["name"], e["args"][0]["seq"]) for e in display.get_received()]
    assert received == [("issued", 1), ("issued", 2), ("counter", 3), ("called", 4)]


def test_a_refused_action_emits_nothing(app, tokens):
    display = connect(app, tokens.display)
    display.get_received()
    http = app.test_client()
    response = http.post(
        "/api/v1/offices/amol/tickets",
        json={"service": "nothing"},
        headers=tokens.header(tokens.kiosk),
    )
    assert response.status_code == 404
    assert display.get_received() == []


def test_a_client_asks_for_a_fresh_snapshot_and_gets_the_current_sequence(app, tokens):
    display = connect(app, tokens.display)
    app.test_client().post(
        "/api/v1/offices/amol/tickets",
        json={"service": "civil"},
        headers=tokens.header(tokens.kiosk),
    )
    board = display.emit("snapshot", callback=True)
    assert board["seq"] == 1
    assert next(s for s in board["services"] if s["code"] == "civil")["waiting"] == 1


@pytest.mark.parametrize(
    ("room", "code"),
    [
        ("office:1", "invalid"),
        ("counter:abc", "invalid"),
        ("counter:1; drop", "invalid"),
        ("kiosk:999999", "forbidden"),
        ("counter:999999", "forbidden"),
        (None, "invalid"),
    ],
)
def test_forged_or_foreign_rooms_are_refused(app, tokens: Tokens, room, code):
    client = connect(app, tokens.display)
    answer = client.emit("join", {"room": room}, callback=True)
    assert answer["error"]["code"] == code


def test_staff_join_a_counter_room_of_their_own_office_but_not_of_another(app, tokens):
    http = app.test_client()
    amol = http.get("/api/v1/offices/amol/counters", headers=tokens.header(tokens.clerk)).json
    babol = http.get(
        "/api/v1/offices/babol/counters", headers=tokens.header(tokens.other_clerk)
    ).json
    clerk = connect(app, tokens.clerk)
    assert clerk.emit("join", {"room": f"counter:{amol[0]['id']}"}, callback=True) == {"ok": True}
    refused = clerk.emit("join", {"room": f"counter:{babol[0]['id']}"}, callback=True)
    assert refused["error"]["code"] == "forbidden"


def test_a_kiosk_may_join_only_its_own_kiosk_room(app, tokens):
    from server.auth import principal_for

    with app.app_context():
        own = principal_for(db.session, tokens.kiosk).token_id
        other = principal_for(db.session, tokens.other_kiosk).token_id
    kiosk = connect(app, tokens.kiosk)
    assert kiosk.emit("join", {"room": f"kiosk:{own}"}, callback=True) == {"ok": True}
    assert (
        kiosk.emit("join", {"room": f"kiosk:{other}"}, callback=True)["error"]["code"]
        == "forbidden"
    )
    display = connect(app, tokens.display)
    assert (
        display.emit("join", {"room": f"kiosk:{own}"}, callback=True)["error"]["code"]
        == "forbidden"
    )


# --- signed-in browsers and counter devices --------------------------------------------


def signed_in_socket(app: Flask, username: str, **auth):
    """A socket of a browser signed in as ``username``: its cookie, no token."""
    http = app.test_client()
    assert sign_in(http, username).status_code == 303
    return socketio.test_client(app, auth=auth, flask_test_client=http), http


@pytest.mark.parametrize("auth", [{}, {"office": "amol"}], ids=["own office", "named"])
def test_a_signed_in_browser_connects_without_a_token(app, tokens, auth):
    client, _http = signed_in_socket(app, "clerk1", **auth)
    assert client.is_connected()
    assert client.get_received()[0]["args"][0]["office"] == "amol"


def test_a_signed_in_clerk_cannot_watch_another_office(app, tokens):
    client, _http = signed_in_socket(app, "clerk1", office="babol")
    assert not client.is_connected()


def test_a_signed_in_administrator_watches_the_office_they_name(app, tokens):
    assert not signed_in_socket(app, "admin")[0].is_connected()
    client, _http = signed_in_socket(app, "admin", office="babol")
    assert client.get_received()[0]["args"][0]["office"] == "babol"


def test_a_signed_in_clerk_joins_counter_rooms_of_their_office_only(app, tokens):
    counters = _counter_ids(app)
    client, _http = signed_in_socket(app, "clerk1")
    assert client.emit("join", {"room": f"counter:{counters['amol', 1]}"}, callback=True) == {
        "ok": True
    }
    refused = client.emit("join", {"room": f"counter:{counters['babol', 1]}"}, callback=True)
    assert refused["error"]["code"] == "forbidden"


def test_a_signed_out_browser_cannot_connect(app, tokens):
    _client, http = signed_in_socket(app, "clerk1")
    http.post("/logout", data={"csrf_token": csrf_token(http)})
    http.set_cookie("nobat_session", "no longer valid")
    assert not socketio.test_client(app, auth={}, flask_test_client=http).is_connected()


def test_a_token_that_is_given_but_empty_is_not_replaced_by_the_cookie(app, tokens):
    client, _http = signed_in_socket(app, "clerk1", token="")
    assert not client.is_connected()


@pytest.fixture
def counter_device(app, tokens) -> str:
    """The token of the keypad at amol's counter 2."""
    with app.app_context():
        counter = db.session.scalar(
            select(Counter).join(Office).where(Office.code == "amol", Counter.number == 2)
        )
        token = builders.counter_token(db.session, counter)
        db.session.commit()
    return token


def test_a_counter_device_joins_its_own_counter_room_and_no_other(app, counter_device):
    counters = _counter_ids(app)
    device = connect(app, counter_device)
    assert device.get_received()[0]["args"][0]["office"] == "amol"
    own = device.emit("join", {"room": f"counter:{counters['amol', 2]}"}, callback=True)
    assert own == {"ok": True}
    for other in (counters["amol", 1], counters["babol", 1]):
        refused = device.emit("join", {"room": f"counter:{other}"}, callback=True)
        assert refused["error"]["code"] == "forbidden"
    assert device.emit("join", {"room": "kiosk:1"}, callback=True)["error"]["code"] == "forbidden"


def test_a_counter_device_hears_its_counters_calls(app, tokens, counter_device):
    counters = _counter_ids(app)
    device = connect(app, counter_device)
    device.emit("join", {"room": f"counter:{counters['amol', 2]}"}, callback=True)
    device.get_received()
    http = app.test_client()
    http.post(
        "/api/v1/offices/amol/tickets",
        json={"service": "civil"},
        headers=tokens.header(tokens.kiosk),
    )
    http.post(f"/api/v1/counters/{counters['amol', 2]}/next", headers=tokens.header(tokens.clerk))
    called = [e["args"][0]["ticket"]["number"] for e in events(device, "called")]
    assert called == ["B-001"]


def test_a_counter_device_cannot_watch_another_office(app, tokens, counter_device):
    assert not connect(app, counter_device, office="babol").is_connected()


def _counter_ids(app: Flask) -> dict[tuple[str, int], int]:
    with app.app_context():
        rows = db.session.execute(select(Office.code, Counter.number, Counter.id).join(Office))
        return {(code, number): counter_id for code, number, counter_id in rows}
