"""Live updates over Socket.IO: a room per office, a snapshot on joining, numbered events.

Who sends what (every handler is here):

- client ``connect`` with ``auth={"token": ..., "office": code}``: kiosks, displays,
  counter devices and staff; a browser signed in as staff leaves the token out (its
  session cookie comes with the handshake, which Engine.IO accepts only from this
  server's own origin). Refused without valid credentials or for another office.
  The client joins ``office:<id>`` (a kiosk also ``kiosk:<token id>``) and is sent
  ``snapshot``.
- server ``snapshot``: the office's board with its sequence number ``seq``.
- server ``issued``, ``called``, ``reinstated``, ``recalled``, ``started``, ``parked``,
  ``resumed``, ``done``, ``no_show``, ``transferred``, ``cancelled``, ``expired``,
  ``counter`` (its holder and pause reason too): ``{"seq", "type", "at",
  "ticket", "counter"}``, numbered per office without gaps. A client that sees a
  gap (after a short wait for late arrivals) or reconnects asks for a snapshot.
- client ``snapshot``: asks for a fresh board; answered through the ack.
- client ``join`` ``{"room": "counter:<id>" | "kiosk:<id>"}``: a further room of its
  own office (a counter device: only its own counter's); answered ``{"ok": true}`` or
  ``{"error": {...}}``.
- server ``print`` (to ``kiosk:<id>``): a print job for the kiosk's print agent.
- server ``print_status`` (to ``kiosk:<id>``): a job printed, failed (with the
  printer's reason) or went stale; the kiosk screen tells the citizen.
- print agent (``auth`` with ``"agent": true``) ``agent_alive`` (heartbeat),
  ``print_pending`` (jobs still worth printing, by ack) and ``print_result``.

Several processes share events through Redis (``NOBAT_REDIS_URL``): an event
raised in one reaches the sockets held by another.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Flask, current_app, request
from flask_socketio import SocketIO, join_room
from sqlalchemy import select, update

from server import printing as printing_jobs
from server import staff_sessions
from server.api import present
from server.api.schemas import QueueOut
from server.auth import Caller, Principal, principal_for, session_principal
from server.engine import LiveEvent, snapshot
from server.engine.clock import utcnow
from server.engine.facts import office_by_code, office_by_id
from server.extensions import db
from server.models import ApiToken, Counter, PrintJob, PrintState, Role, Ticket

socketio = SocketIO()

_ROOM = re.compile(r"^(counter|kiosk):([1-9][0-9]{0,9})$")
# One instance for every snapshot, as flask-smorest keeps one per endpoint: building a
# schema copies its fields, a third of a board's cost, on every connect of a storm.
_BOARD_SCHEMA = QueueOut()


def office_room(office_id: int) -> str:
    return f"office:{office_id}"


@dataclass(frozen=True)
class _Client:
    principal: Principal
    office_id: int
    agent: bool = False


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


def notify_kiosk(kiosk_token_id: int | None, event: str, payload: dict[str, Any]) -> None:
    """Send a print job or its status to one kiosk (and its print agent)."""
    if kiosk_token_id is not None:
        socketio.emit(event, payload, to=f"kiosk:{kiosk_token_id}")


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
    return _BOARD_SCHEMA.dump(present.board(taken))


@socketio.on("connect")
def connect(auth: Any = None) -> bool:
    """A device's token or a signed-in browser: joins its office room and gets a snapshot."""
    auth = auth if isinstance(auth, dict) else {}
    principal = _principal(auth.get("token"))
    if principal is None:
        return False
    office_id = _office_of(principal, auth.get("office"))
    if office_id is None:
        return False
    agent = auth.get("agent") is True
    if agent and principal.caller is not Caller.KIOSK:
        return False
    _clients[request.sid] = _Client(principal, office_id, agent)
    join_room(office_room(office_id))
    if principal.caller is Caller.KIOSK:
        join_room(f"kiosk:{principal.token_id}")
    if agent:
        _agent_seen(principal.token_id, utcnow())
    socketio.emit("snapshot", board(office_id), to=request.sid)
    return True


def _principal(token: Any) -> Principal | None:
    """Who connects: the token's bearer, or without one the browser's signed-in staff user."""
    if isinstance(token, str) and token:
        return principal_for(db.session, token, remember=current_app.config["TOKEN_CACHE_SECONDS"])
    secret = staff_sessions.presented()
    return session_principal(db.session, secret) if token is None and secret else None


@socketio.on("disconnect")
def disconnect(*_reason: Any) -> None:
    """Forget the socket; a print agent that leaves is no longer counted as alive."""
    client = _clients.pop(request.sid, None)
    if client is not None and client.agent:
        _agent_seen(client.principal.token_id, None)


@socketio.on("agent_alive")
def agent_alive(*_args: Any) -> dict[str, Any]:
    """A print agent's heartbeat (every few seconds)."""
    client = _clients.get(request.sid)
    if client is None or not client.agent:
        return _error("forbidden", "only a print agent sends heartbeats")
    _agent_seen(client.principal.token_id, utcnow())
    return {"ok": True}


@socketio.on("print_pending")
def print_pending(*_args: Any) -> dict[str, Any]:
    """A print agent that (re)connects asks for the jobs still worth printing."""
    client = _clients.get(request.sid)
    if client is None or not client.agent:
        return _error("forbidden", "only a print agent asks for print jobs")
    jobs, stale = printing_jobs.pending_for(db.session, client.principal.token_id)
    answer = [
        {
            "job": job.id,
            "ticket": printing_jobs.print_data(
                db.session, job.ticket_id, _status_url(job.ticket_id), job.language
            ),
            "expires_at": printing_jobs.deadline(job),
        }
        for job in jobs
    ]
    db.session.commit()
    for job in stale:
        notify_kiosk(job.kiosk_token_id, "print_status", printing_jobs.job_view(job))
    return {"jobs": answer}


@socketio.on("print_result")
def print_result(data: Any = None) -> dict[str, Any]:
    """A print agent reports a job printed or failed (with the printer's reason)."""
    client = _clients.get(request.sid)
    if client is None or not client.agent:
        return _error("forbidden", "only a print agent reports print results")
    if not isinstance(data, dict) or not isinstance(data.get("job"), int):
        return _error("invalid", "expected {job: id, state: printed|failed, reason, message}")
    states = {"printed": PrintState.PRINTED, "failed": PrintState.FAILED, "stale": PrintState.STALE}
    state = states.get(data.get("state"))
    reason, message = data.get("reason"), data.get("message")
    if state is None or not all(v is None or isinstance(v, str) for v in (reason, message)):
        return _error("invalid", "state must be printed, failed or stale; reason and message text")
    job = db.session.get(PrintJob, data["job"])
    if job is None or job.kiosk_token_id != client.principal.token_id:
        return _error("forbidden", "this job belongs to another kiosk")
    changed = printing_jobs.finish(db.session, job.id, state, (reason or "")[:32] or None, message)
    db.session.commit()
    if changed is not None:
        notify_kiosk(changed.kiosk_token_id, "print_status", printing_jobs.job_view(changed))
    return {"ok": True}


def _agent_seen(token_id: int, at: datetime | None) -> None:
    db.session.execute(update(ApiToken).where(ApiToken.id == token_id).values(agent_seen_at=at))
    db.session.commit()


def _status_url(ticket_id: int) -> str:
    token = db.session.scalar(select(Ticket.public_token).where(Ticket.id == ticket_id))
    return f"{request.url_root}t/{token}"


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
    if principal.caller is Caller.COUNTER:
        return principal.counter_id == room_id
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


ASYNC_MODES = ("threading", "gevent")


def init_app(app: Flask) -> None:
    """Bind Socket.IO (greenlets or threads), Redis as its message queue when configured."""
    if app.config["ASYNC_MODE"] not in ASYNC_MODES:
        raise RuntimeError(f"NOBAT_ASYNC_MODE must be one of {', '.join(ASYNC_MODES)}")
    socketio.init_app(
        app,
        async_mode=app.config["ASYNC_MODE"],
        message_queue=app.config.get("REDIS_URL"),
        channel=app.config["SOCKETIO_CHANNEL"],
        ping_interval=10,
        ping_timeout=10,
        max_http_buffer_size=64 * 1024,
    )
