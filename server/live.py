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
  ``counter`` (its holder and pause reason too), ``reprinted`` (staff printed a ticket
  again; nothing on the board changes): ``{"seq", "type", "at", "ticket", "counter"}``,
  numbered per office without gaps. A client that sees a gap (after a short wait for
  late arrivals) or reconnects asks for a snapshot.
- client ``snapshot``: asks for a fresh board; answered through the ack.
- client ``join`` ``{"room": "counter:<id>" | "kiosk:<id>"}``: a further room of its
  own office (a counter device: only its own counter's); answered ``{"ok": true}`` or
  ``{"error": {...}}``.
- server ``print`` (to ``kiosk:<id>``): a print job for the kiosk's print agent.
- server ``print_status`` (to ``kiosk:<id>``): a job printed, failed (with the
  printer's reason) or went stale; the kiosk screen tells the citizen.
- print agent (``auth`` with ``"agent": true``) ``agent_alive`` (heartbeat),
  ``print_pending`` (jobs still worth printing, by ack) and ``print_result``.

A citizen's ticket page (``/t/<link>``) connects without login, with
``auth={"ticket": <the link's token>, "lang": "fa" | "en"}``. The link is checked as
the page checks it (unknown or expired: refused). The socket joins only
``ticket:<id>:<lang>`` (its own ticket, worded in its language) and ``tickets:<office
id>`` (content-free nudges), never the office's room, and is sent its status:

- server ``ticket``: the ticket's status (``display.ticket_status.status_payload``:
  status, number, people ahead, wait in words, counter, recalls, what a transfer made
  of it), on connect and after every event of that ticket.
- server ``moved`` (no payload): something happened in the office; a waiting page
  asks for its own status again, at most every few seconds.
- client ``status`` (or ``snapshot``): answered by ack with its own ticket's status.
  The office's handlers (``join``, the print agent's) refuse a ticket socket.

Several processes share events through Redis (``NOBAT_REDIS_URL``): an event
raised in one reaches the sockets held by another.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Flask, current_app, has_app_context, request
from flask_babel import force_locale
from flask_socketio import SocketIO, join_room
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from display import ticket_status
from server import printing as printing_jobs
from server import staff_sessions
from server.api import present
from server.api.access import Who
from server.api.schemas import QueueOut
from server.auth import Caller, Principal, principal_for, session_principal
from server.engine import LiveEvent, snapshot
from server.engine.clock import utcnow
from server.engine.errors import NotFound
from server.engine.facts import office_by_code, office_by_id
from server.extensions import db
from server.models import ApiToken, Counter, PrintJob, PrintState, Role, Ticket
from server.wording import LANGUAGES

log = logging.getLogger(__name__)
socketio = SocketIO()

_ROOM = re.compile(r"^(counter|kiosk):([1-9][0-9]{0,9})$")
# One instance for every snapshot, as flask-smorest keeps one per endpoint: building a
# schema copies its fields, a third of a board's cost, on every connect of a storm.
_BOARD_SCHEMA = QueueOut()


def office_room(office_id: int) -> str:
    return f"office:{office_id}"


def ticket_room(ticket_id: int, lang: str) -> str:
    """The room of one ticket's pages in one language: only that ticket's status goes there."""
    return f"ticket:{ticket_id}:{lang}"


def ticket_pages_room(office_id: int) -> str:
    """The ticket pages of an office: they get content-free nudges, never the board."""
    return f"tickets:{office_id}"


@dataclass(frozen=True)
class _Client:
    principal: Principal
    office_id: int
    agent: bool = False


@dataclass(frozen=True)
class _TicketPage:
    """A citizen's ticket page: its one ticket, the office that nudges it, its language."""

    ticket_id: int
    office_id: int
    lang: str


# Per process: who holds each socket of this process (sockets never move between processes).
_clients: dict[str, _Client] = {}
_ticket_pages: dict[str, _TicketPage] = {}


class SocketIOPublisher:
    """Sends committed events to the office's room (and the counter's), through Redis if set.

    Ticket pages get no event: one nudge per office per batch, and each ticket an event
    concerns gets its own status in its own room.
    """

    def publish(self, events: list[LiveEvent]) -> None:
        for event in events:
            payload = event_payload(event)
            rooms = [office_room(event.office_id)]
            counter_id = (event.ticket or {}).get("counter") or (event.counter or {}).get("id")
            if counter_id:
                rooms.append(f"counter:{counter_id}")
            socketio.emit(event.type, payload, to=rooms)
        # The nudges first: a page whose own status follows drops the request a nudge arms.
        for office_id in dict.fromkeys(event.office_id for event in events):
            socketio.emit("moved", to=ticket_pages_room(office_id))
        _publish_ticket_statuses(events)


def _publish_ticket_statuses(events: list[LiveEvent]) -> None:
    """Each ticket the events concern gets its status, worked out in the background.

    Worked out in the publishing process: with Redis the page's socket may be held by
    another. In the background: the request's session has just committed and emits no
    more SQL, and on SQLite its connection holds the process's writer lock until it is
    returned, after this hook; the request does not wait for the read either. An
    ``issued`` ticket is skipped: no page can have been waiting for it (a page that
    connects later is sent its status then).
    """
    ticket_ids = list(
        dict.fromkeys(
            event.ticket["id"] for event in events if event.ticket and event.type != "issued"
        )
    )
    if ticket_ids and has_app_context():
        app = current_app._get_current_object()
        socketio.start_background_task(send_ticket_statuses, app, ticket_ids)


def send_ticket_statuses(app: Flask, ticket_ids: list[int]) -> None:
    """Each ticket's status, read once, to its rooms in either language."""
    try:
        with app.app_context(), Session(db.engine) as session:
            settings = app.extensions["nobat.engine_settings"]
            for ticket_id in ticket_ids:
                state = ticket_status.read_state(session, ticket_id, settings)
                if state is None:
                    continue
                for lang in LANGUAGES:
                    with force_locale(lang):
                        payload = ticket_status.status_payload(state, lang)
                    socketio.emit("ticket", payload, to=ticket_room(ticket_id, lang))
    except Exception:
        # Committed already: a page that missed its status catches up when it next asks.
        log.exception("sending the status of tickets %s failed", ticket_ids)


def notify_kiosk(kiosk_token_id: int | None, event: str, payload: dict[str, Any]) -> None:
    """Send a print job or its status to one kiosk (and its print agent)."""
    if kiosk_token_id is not None:
        socketio.emit(event, payload, to=f"kiosk:{kiosk_token_id}")


def device_room(token_id: int | None) -> str:
    """The sockets of one device token (kiosk, display, counter device)."""
    return f"device:{token_id}"


def device_revoked(token_id: int) -> None:
    """Tell a revoked device's open pages, so they forget the token and ask to be paired."""
    socketio.emit("revoked", {}, to=device_room(token_id))


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
    """A device's token or a signed-in browser: joins its office room and gets a snapshot.

    A ticket page (``auth`` names a ``ticket``) joins its ticket's rooms instead.
    """
    auth = auth if isinstance(auth, dict) else {}
    if "ticket" in auth:
        return _connect_ticket_page(auth.get("ticket"), auth.get("lang"))
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
    if principal.caller is not Caller.STAFF:
        join_room(device_room(principal.token_id))
    if agent:
        _agent_seen(principal.token_id, utcnow())
    socketio.emit("snapshot", board(office_id), to=request.sid)
    return True


def _connect_ticket_page(link: Any, lang: Any) -> bool:
    """A citizen's page with its link: its own ticket's rooms and status, nothing more."""
    if not isinstance(link, str) or not 0 < len(link) <= 64:
        return False
    try:
        ticket = ticket_status.open_link(db.session, link)
    except NotFound:
        return False
    page = _TicketPage(ticket.id, ticket.office_id, lang if lang in LANGUAGES else "fa")
    _ticket_pages[request.sid] = page
    join_room(ticket_room(page.ticket_id, page.lang))
    join_room(ticket_pages_room(page.office_id))
    socketio.emit("ticket", _status_of(page), to=request.sid)
    return True


def _status_of(page: _TicketPage) -> dict[str, Any]:
    """The page's own ticket's status, in its language."""
    settings = current_app.extensions["nobat.engine_settings"]
    state = ticket_status.read_state(db.session, page.ticket_id, settings)
    if state is None:
        return _error("not_found", "this ticket no longer exists")
    with force_locale(page.lang):
        return ticket_status.status_payload(state, page.lang)


def _principal(token: Any) -> Principal | None:
    """Who connects: the token's bearer, or without one the browser's signed-in staff user."""
    if isinstance(token, str) and token:
        return principal_for(db.session, token, remember=current_app.config["TOKEN_CACHE_SECONDS"])
    secret = staff_sessions.presented()
    return session_principal(db.session, secret) if token is None and secret else None


@socketio.on("disconnect")
def disconnect(*_reason: Any) -> None:
    """Forget the socket; a print agent that leaves is no longer counted as alive."""
    _ticket_pages.pop(request.sid, None)
    client = _clients.pop(request.sid, None)
    if client is not None and client.agent:
        _agent_seen(client.principal.token_id, None)


#: A kiosk's print agent: a kiosk's socket connected with ``agent: true``.
AGENT = "agent"
#: A citizen's ticket page, connected with its ticket's link.
TICKET_PAGE = "ticket page"
#: Every kind of socket: staff roles and devices as the API names them, agents, pages.
EVERY_SOCKET = frozenset({*(w.value for w in Who), AGENT, TICKET_PAGE})
#: Who may send each event, as declared below (the authorisation matrix reads it).
EVENTS: dict[str, frozenset[str]] = {}


def _on(
    event: str, who: Iterable[str], refusal: str
) -> Callable[[Callable[..., dict[str, Any]]], Callable[..., dict[str, Any]]]:
    """Handle ``event`` from the sockets ``who`` names; others are answered ``refusal``.

    The socket-side twin of ``@blp.allow``: the declaration is the check, one per event.
    """
    admitted = frozenset(who)
    EVENTS[event] = admitted

    def decorate(handler: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
        @functools.wraps(handler)
        def checked(*args: Any) -> dict[str, Any]:
            kind = _socket_kind()
            if kind is None:
                return _error("unauthorized", "connect with a token first")
            if kind not in admitted:
                return _error("forbidden", refusal)
            return handler(*args)

        socketio.on(event)(checked)
        return checked

    return decorate


def _socket_kind() -> str | None:
    """What this socket is (None: not connected as anything)."""
    if request.sid in _ticket_pages:
        return TICKET_PAGE
    client = _clients.get(request.sid)
    if client is None:
        return None
    return AGENT if client.agent else Who.of(client.principal).value


@_on("agent_alive", {AGENT}, "only a print agent sends heartbeats")
def agent_alive(*_args: Any) -> dict[str, Any]:
    """A print agent's heartbeat (every few seconds)."""
    client = _clients[request.sid]
    _agent_seen(client.principal.token_id, utcnow())
    return {"ok": True}


@_on("print_pending", {AGENT}, "only a print agent asks for print jobs")
def print_pending(*_args: Any) -> dict[str, Any]:
    """A print agent that (re)connects asks for the jobs still worth printing."""
    client = _clients[request.sid]
    jobs, stale = printing_jobs.pending_for(db.session, client.principal.token_id)
    answer = [
        {
            "job": job.id,
            "ticket": printing_jobs.print_data(
                db.session, job.ticket_id, _status_url(job.ticket_id, job.language), job.language
            ),
            "expires_at": printing_jobs.deadline(job),
        }
        for job in jobs
    ]
    db.session.commit()
    for job in stale:
        notify_kiosk(job.kiosk_token_id, "print_status", printing_jobs.job_view(job))
    return {"jobs": answer}


@_on("print_result", {AGENT}, "only a print agent reports print results")
def print_result(data: Any = None) -> dict[str, Any]:
    """A print agent reports a job printed or failed (with the printer's reason)."""
    client = _clients[request.sid]
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


def _status_url(ticket_id: int, language: str) -> str:
    token = db.session.scalar(select(Ticket.public_token).where(Ticket.id == ticket_id))
    return present.status_url(token, language)


@_on("snapshot", EVERY_SOCKET, "")
def send_snapshot(*_args: Any) -> dict[str, Any]:
    """A client that saw a gap or came back asks for the board again (answered by ack).

    A ticket page gets its own ticket's status, never the board.
    """
    page = _ticket_pages.get(request.sid)
    if page is not None:
        return _status_of(page)
    return board(_clients[request.sid].office_id)


@_on("status", {TICKET_PAGE}, "only a ticket page asks for a ticket's status")
def send_status(*_args: Any) -> dict[str, Any]:
    """A ticket page asks for its own ticket's status again (after a nudge); answered by ack."""
    return _status_of(_ticket_pages[request.sid])


@_on("join", EVERY_SOCKET - {TICKET_PAGE}, "a ticket page joins no other room")
def join(data: Any = None) -> dict[str, Any]:
    """Join a counter or kiosk room of the client's own office (or the device's own)."""
    client = _clients[request.sid]
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
