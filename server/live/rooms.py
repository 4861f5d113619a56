"""The live board: office rooms, snapshots, ticket pages' rooms, and who may connect or join.

A socket is admitted here (``connect``) and forgotten here (``disconnect``), print agents
too; their own events are in ``agent``. The protocol as a whole: ``server/live/__init__.py``.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from flask import Flask, current_app, has_app_context, request
from flask_babel import force_locale
from flask_socketio import join_room
from sqlalchemy import select
from sqlalchemy.orm import Session

from display import ticket_status
from server import staff_sessions
from server.api import present
from server.api.schemas import QueueOut
from server.auth import Caller, Principal, principal_for, session_principal
from server.engine import LiveEvent, snapshot
from server.engine.clock import utcnow
from server.engine.errors import NotFound
from server.engine.facts import office_by_code, office_by_id
from server.engine_settings import engine_settings
from server.extensions import db
from server.live import agent
from server.live.sockets import (
    EVERY_SOCKET,
    TICKET_PAGE,
    Client,
    TicketPage,
    client,
    clients,
    error,
    kiosk_room,
    on,
    socketio,
    ticket_pages,
)
from server.models import Counter, Role
from server.wording import LANGUAGES

log = logging.getLogger(__name__)

_ROOM = re.compile(r"^(counter|kiosk):([1-9][0-9]{0,9})$")
# One instance for every snapshot, as flask-smorest keeps one per endpoint: building a
# schema copies its fields, a third of a board's cost, on every connect of a storm.
_BOARD_SCHEMA = QueueOut()


def office_room(office_id: int) -> str:
    """An office's board: its staff, devices and print agents (never its ticket pages)."""
    return f"office:{office_id}"


def ticket_room(ticket_id: int, lang: str) -> str:
    """The room of one ticket's pages in one language: only that ticket's status goes there."""
    return f"ticket:{ticket_id}:{lang}"


def ticket_pages_room(office_id: int) -> str:
    """The ticket pages of an office: they get content-free nudges, never the board."""
    return f"tickets:{office_id}"


def device_room(token_id: int | None) -> str:
    """The sockets of one device token (kiosk, display, counter device)."""
    return f"device:{token_id}"


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
            settings = engine_settings(app)
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
    taken = snapshot.take(db.session, office, engine_settings())
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
    is_agent = auth.get("agent") is True
    if is_agent and principal.caller is not Caller.KIOSK:
        return False
    clients[request.sid] = Client(principal, office_id, is_agent)
    join_room(office_room(office_id))
    if principal.caller is Caller.KIOSK:
        join_room(kiosk_room(principal.token_id))
    if principal.caller is not Caller.STAFF:
        join_room(device_room(principal.token_id))
    if is_agent:
        agent.seen(principal.token_id, utcnow())
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
    page = TicketPage(ticket.id, ticket.office_id, lang if lang in LANGUAGES else "fa")
    ticket_pages[request.sid] = page
    join_room(ticket_room(page.ticket_id, page.lang))
    join_room(ticket_pages_room(page.office_id))
    socketio.emit("ticket", _status_of(page), to=request.sid)
    return True


def _status_of(page: TicketPage) -> dict[str, Any]:
    """The page's own ticket's status, in its language."""
    settings = engine_settings()
    state = ticket_status.read_state(db.session, page.ticket_id, settings)
    if state is None:
        return error("not_found", "this ticket no longer exists")
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
    ticket_pages.pop(request.sid, None)
    gone = clients.pop(request.sid, None)
    if gone is not None and gone.agent:
        agent.seen(gone.principal.token_id, None)


@on("snapshot", EVERY_SOCKET, "")
def send_snapshot(*_args: Any) -> dict[str, Any]:
    """A client that saw a gap or came back asks for the board again (answered by ack).

    A ticket page gets its own ticket's status, never the board.
    """
    page = ticket_pages.get(request.sid)
    if page is not None:
        return _status_of(page)
    return board(client().office_id)


@on("status", {TICKET_PAGE}, "only a ticket page asks for a ticket's status")
def send_status(*_args: Any) -> dict[str, Any]:
    """A ticket page asks for its own ticket's status again (after a nudge); answered by ack."""
    return _status_of(ticket_pages[request.sid])


@on("join", EVERY_SOCKET - {TICKET_PAGE}, "a ticket page joins no other room")
def join(data: Any = None) -> dict[str, Any]:
    """Join a counter or kiosk room of the client's own office (or the device's own)."""
    room = data.get("room") if isinstance(data, dict) else None
    match = _ROOM.match(room) if isinstance(room, str) else None
    if match is None:
        return error("invalid", "room must be counter:<id> or kiosk:<id>")
    kind, room_id = match.group(1), int(match.group(2))
    if not _may_join(client(), kind, room_id):
        return error("forbidden", "this room belongs to another office or device")
    join_room(room)
    return {"ok": True}


def _may_join(joining: Client, kind: str, room_id: int) -> bool:
    principal = joining.principal
    if kind == "kiosk":
        return principal.caller is Caller.KIOSK and principal.token_id == room_id
    if principal.caller is Caller.COUNTER:
        return principal.counter_id == room_id
    office = db.session.scalar(select(Counter.office_id).where(Counter.id == room_id))
    return office == joining.office_id


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
