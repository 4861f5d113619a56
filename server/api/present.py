"""Turn engine results into API payloads; times in the office's own zone, with offset."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import request

from server.engine.clock import zone
from server.engine.estimates import Estimate
from server.engine.snapshot import Snapshot
from server.engine.tickets import Issued
from server.models import Counter, Office, Service, Ticket, TicketStatus


def local(at: datetime | None, office: Office) -> datetime | None:
    """An aware datetime in the office's zone, so clients see local time and its offset."""
    return at.astimezone(zone(office.timezone)) if at is not None else None


def status_url(ticket: Ticket) -> str:
    """The citizen's link to the ticket's live status page."""
    return f"{request.url_root}t/{ticket.public_token}"


def _eta(estimate: Estimate | None) -> dict[str, Any]:
    if estimate is None:
        return {"eta_seconds": None, "eta_range": None}
    return {"eta_seconds": estimate.seconds, "eta_range": [estimate.low, estimate.high]}


def ticket(issued: Issued) -> dict[str, Any]:
    """A ticket with its place in the queue (position only while it waits)."""
    t, office = issued.ticket, issued.ticket.office
    waiting = t.status is TicketStatus.WAITING
    return {
        "id": t.id,
        "number": t.number,
        "service": t.service.code,
        "priority": t.priority,
        "priority_reason": t.priority_reason,
        "status": t.status,
        "position": issued.ahead + 1 if waiting else None,
        "people_ahead": issued.ahead if waiting else None,
        **_eta(issued.estimate),
        "issued_at": local(t.issued_at, office),
        "called_at": local(t.called_at, office),
        "started_at": local(t.started_at, office),
        "finished_at": local(t.finished_at, office),
        "counter": t.counter,
        "recall_count": t.recall_count,
        "transferred_from": t.transferred_from_id,
        "status_url": status_url(t),
    }


def service(s: Service) -> dict[str, Any]:
    return {
        "code": s.code,
        "letter": s.letter,
        "name_fa": s.name_fa,
        "name_en": s.name_en,
        "group": s.group,
        "target_wait_seconds": s.target_wait_seconds,
        "active": s.active,
    }


def counter(c: Counter, clerk: str | None) -> dict[str, Any]:
    return {
        "id": c.id,
        "number": c.number,
        "name": c.name,
        "state": c.state,
        "clerk": clerk,
        "services": [{"service": link.service.code, "tier": link.tier} for link in c.links],
    }


def board(snapshot: Snapshot) -> dict[str, Any]:
    office = snapshot.office

    def board_ticket(data: dict[str, Any] | None) -> dict[str, Any] | None:
        if data is None:
            return None
        return {**data, "called_at": local(data.get("called_at"), office)}

    return {
        "office": office.code,
        "seq": snapshot.seq,
        "at": local(snapshot.at, office),
        "services": [
            {**service(q.service), "waiting": q.waiting, **_eta(q.estimate)}
            for q in snapshot.services
        ],
        "counters": [{**c, "ticket": board_ticket(c["ticket"])} for c in snapshot.counters],
        "recent_calls": [board_ticket(t) for t in snapshot.recent_calls],
    }
