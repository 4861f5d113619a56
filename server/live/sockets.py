"""The Socket.IO server and what every handler shares: who holds each socket, and the rule
that an event is handled only for the kinds of socket declared for it.

Kept apart from the handlers so that the board's (``rooms``) and the print agent's
(``agent``) events are declared and checked one way, in one table the authorisation
matrix reads.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from flask import Flask, request
from flask_socketio import SocketIO

from server.api.access import Who
from server.auth import Principal

socketio = SocketIO()

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


def kiosk_room(token_id: int | None) -> str:
    """A kiosk's sockets: its screen and its print agent (print jobs and their outcomes)."""
    return f"kiosk:{token_id}"


@dataclass(frozen=True)
class Client:
    """A socket of staff or a device, in the office it watches (``agent``: a print agent)."""

    principal: Principal
    office_id: int
    agent: bool = False


@dataclass(frozen=True)
class TicketPage:
    """A citizen's ticket page: its one ticket, the office that nudges it, its language."""

    ticket_id: int
    office_id: int
    lang: str


# Per process: who holds each socket of this process (sockets never move between processes).
clients: dict[str, Client] = {}
ticket_pages: dict[str, TicketPage] = {}


def client() -> Client:
    """The staff or device socket whose event is being handled (admitted by :func:`on`)."""
    return clients[request.sid]


#: A kiosk's print agent: a kiosk's socket connected with ``agent: true``.
AGENT = "agent"
#: A citizen's ticket page, connected with its ticket's link.
TICKET_PAGE = "ticket page"
#: Every kind of socket: staff roles and devices as the API names them, agents, pages.
EVERY_SOCKET = frozenset({*(w.value for w in Who), AGENT, TICKET_PAGE})
#: Who may send each event, as declared with :func:`on` (the authorisation matrix reads it).
EVENTS: dict[str, frozenset[str]] = {}


def on(
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
                return error("unauthorized", "connect with a token first")
            if kind not in admitted:
                return error("forbidden", refusal)
            return handler(*args)

        socketio.on(event)(checked)
        return checked

    return decorate


def _socket_kind() -> str | None:
    """What this socket is (None: not connected as anything)."""
    if request.sid in ticket_pages:
        return TICKET_PAGE
    held = clients.get(request.sid)
    if held is None:
        return None
    return AGENT if held.agent else Who.of(held.principal).value


def error(code: str, message: str) -> dict[str, Any]:
    """A refused event's answer (by ack)."""
    return {"error": {"code": code, "message": message}}
