"""Live updates over Socket.IO: a room per office, a snapshot on joining, numbered events.

Who sends what (every handler is here):

- client ``connect`` with ``auth={"token": ..., "office": code}``: kiosks, displays
  and staff; refused without valid credentials or for another office. The client
  joins ``office:<id>`` (a kiosk also ``kiosk:<token id>``) and is sent ``snapshot``.
- server ``snapshot``: the office's board with its sequence number ``seq``.
- server ``issued``, ``called``, ``recalled``, ``started``, ``done``, ``no_show``,
  ``transferred``, ``cancelled``, ``expired``, ``counter``: ``{"seq", "type", "at",
  "ticket", "counter"}``, numbered per office without gaps. A client that sees a
  gap (after a short wait for late arrivals) or reconnects asks for a snapshot.
- client ``snapshot``: asks for a fresh board; answered through the ack.
- client ``join`` ``{"room": "counter:<id>" | "kiosk:<id>"}``: a further room of its
  own office; answered ``{"ok": true}`` or ``{"error": {...}}``.

Several processes share events through Redis (``NOBAT_REDIS_URL``): an event
raised in one reaches the sockets held by another.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, request
from flask_socketio import SocketIO, join_room
from sqlalchemy import select

from server.api import present
from server.api.schemas import QueueOut
from server.auth import Caller, Principal, principal_for
from server.engine import LiveEvent, snapshot
from server.engine.facts import office_by_code, office_by_id
from server.extensions import db
from server.models import Counter, Role

socketio = SocketIO()

_ROOM = re.compile(r"^(counter|kiosk):([1-9][0-9]{0,9})$")


def office_room(office_id: int) -> str:
    return f"office:{office_id}"


@dataclass(frozen=True)
class _Client:
    principal: Principal
    office_id: int


# Per process: who holds each socket of this process (sockets never move between processes).
_clients: dict[str, _Client] = {}


class SocketIOPublisher:
    """Sends committed events to the office's room (and the counter's), through Redis if set."""

    def publish(self, events: list[LiveEvent]) -> None:
        for event in events:
            payload = event_payload(event)
            rooms = [office_room(event.office_id)]
            counter_id = (event.ticket or {}).get("counter") or (event.counter or {}).get("id")
            if counter_id:
                rooms.append(f"counter:{counter_id}")
            socketio.emit(event.type, payload, to=rooms)


def event_payload(event: LiveEvent) -> dict[str, Any]:
    """A live event as JSON-ready data."""
    ticket = event.ticket
    if ticket is not None and ticket.get("called_at") is not None:
        ticket = {**ticket, "called_at": ticket["called_at"].isoformat()}
    return {
        "seq": event.seq,
        "type": event.type,
        "at": event.at.isoformat(),
        "ticket": ticket,
        "counter": event.counter,
    }


def board(office_id: int) -> dict[str, Any]:
    """The office's snapshot as sent to sockets: the same shape as ``GET /queue``."""
    office = office_by_id(db.session, office_id)
    taken = snapshot.take(db.session, office, current_app.extensions["nobat.engine_settings"])
    return QueueOut().dump(present.board(taken))


@socketio.on("connect")
def connect(auth: Any = None) -> bool:
    """Any device or staff member with a valid token; joins its office room and gets a snapshot."""
    auth = auth if isinstance(auth, dict) else {}
    token = auth.get("token")
    principal = principal_for(db.session, token) if isinstance(token, str) and token else None
    if principal is None:
        return False
    office_id = _office_of(principal, auth.get("office"))
    if office_id is None:
        return False
    _clients[request.sid] = _Client(principal, office_id)
    join_room(office_room(office_id))
    if principal.caller is Caller.KIOSK:
        join_room(f"kiosk:{principal.token_id}")
    socketio.emit("snapshot", board(office_id), to=request.sid)
    return True


@socketio.on("disconnect")
def disconnect(*_reason: Any) -> None:
    """Forget the socket."""
    _clients.pop(request.sid, None)


@socketio.on("snapshot")
def send_snapshot(*_args: Any) -> dict[str, Any]:
    """A client that saw a gap or came back asks for the board again (answered by ack)."""
    client = _clients.get(request.sid)
    if client is None:
        return _error("unauthorized", "connect with a token first")
    return board(client.office_id)


@socketio.on("join")
def join(data: Any = None) -> dict[str, Any]:
    """Join a counter or kiosk room of the client's own office."""
    client = _clients.get(request.sid)
    if client is None:
        return _error("unauthorized", "connect with a token first")
    room = data.get("room") if isinstance(data, dict) else None
    match = _ROOM.match(room) if isinstance(room, str) else None
    if match is None:
        return _error("invalid", "room must be counter:<id> or kiosk:<id>")
    kind, room_id = match.group(1), int(match.group(2))
    if not _may_join(client, kind, room_id):
        return _error("forbidden", "this room belongs to another office or device")
    join_room(room)
    return {"ok": True}


def _may_join(client: _Client, kind: str, room_id: int) -> bool:
    principal = client.principal
    if kind == "kiosk":
        return principal.caller is Caller.KIOSK and principal.token_id == room_id
    office = db.session.scalar(select(Counter.office_id).where(Counter.id == room_id))
    return office == client.office_id


def _office_of(principal: Principal, asked: Any) -> int | None:
    """The office the socket watches: its own, or the one an administrator names."""
    if isinstance(asked, str) and asked:
        office = office_by_code(db.session, asked)
        if office is None or not principal.belongs_to(office.id):
            return None
        return office.id
    if principal.role is Role.ADMIN:
        return None
    return principal.office_id


def _error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def init_app(app: Flask) -> None:
    """Bind Socket.IO: threads (simple-websocket), Redis as message queue when configured."""
    socketio.init_app(
        app,
        async_mode="threading",
        message_queue=app.config.get("REDIS_URL"),
        channel=app.config["SOCKETIO_CHANNEL"],
        ping_interval=10,
        ping_timeout=10,
        max_http_buffer_size=64 * 1024,
    )
