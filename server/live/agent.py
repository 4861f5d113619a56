"""Printing over Socket.IO: jobs and their outcomes to a kiosk's room, and the events of the
print agent beside the kiosk (``kiosk/agent.py``).

Apart from the board's handlers: the agent speaks of print jobs, never of the queue. What
it changes in the database is done by ``server.printing``; here only the protocol.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from server import printing
from server.engine.clock import utcnow
from server.extensions import db
from server.live.sockets import AGENT, client, error, kiosk_room, on, socketio
from server.models import PrintState

_STATES = {"printed": PrintState.PRINTED, "failed": PrintState.FAILED, "stale": PrintState.STALE}


def notify_kiosk(kiosk_token_id: int | None, event: str, payload: dict[str, Any]) -> None:
    """Send a print job or its status to one kiosk (and its print agent)."""
    if kiosk_token_id is not None:
        socketio.emit(event, payload, to=kiosk_room(kiosk_token_id))


def seen(kiosk_token_id: int, at: datetime | None) -> None:
    """Note that the kiosk's agent was heard from ``at`` (None: it left), and commit."""
    printing.agent_seen(db.session, kiosk_token_id, at)
    db.session.commit()


@on("agent_alive", {AGENT}, "only a print agent sends heartbeats")
def agent_alive(*_args: Any) -> dict[str, Any]:
    """A print agent's heartbeat (every few seconds)."""
    seen(client().principal.token_id, utcnow())
    return {"ok": True}


@on("print_pending", {AGENT}, "only a print agent asks for print jobs")
def print_pending(*_args: Any) -> dict[str, Any]:
    """A print agent that (re)connects asks for the jobs still worth printing."""
    orders, stale = printing.pending_orders(db.session, client().principal.token_id)
    db.session.commit()
    for job in stale:
        notify_kiosk(job.kiosk_token_id, "print_status", printing.job_view(job))
    return {"jobs": orders}


@on("print_result", {AGENT}, "only a print agent reports print results")
def print_result(data: Any = None) -> dict[str, Any]:
    """A print agent reports a job printed or failed (with the printer's reason)."""
    if not isinstance(data, dict) or not isinstance(data.get("job"), int):
        return error("invalid", "expected {job: id, state: printed|failed, reason, message}")
    state = _STATES.get(data.get("state"))
    reason, message = data.get("reason"), data.get("message")
    if state is None or not all(v is None or isinstance(v, str) for v in (reason, message)):
        return error("invalid", "state must be printed, failed or stale; reason and message text")
    if not printing.is_kiosks_job(db.session, data["job"], client().principal.token_id):
        return error("forbidden", "this job belongs to another kiosk")
    changed = printing.finish(db.session, data["job"], state, (reason or "")[:32] or None, message)
    db.session.commit()
    if changed is not None:
        notify_kiosk(changed.kiosk_token_id, "print_status", printing.job_view(changed))
    return {"ok": True}
