"""Turn engine results into API payloads; times in the office's own zone, with offset."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from server.engine.clock import zone
from server.engine.counter_view import CounterView
from server.engine.estimates import Estimate
from server.engine.snapshot import Snapshot
from server.engine.tickets import Issued
from server.models import Counter, Service, TicketStatus
from server.ticket_links import status_url
from server.wording import page_language, people_words, wait_words, wait_words_by_language


def _local(at: datetime | None, tz: tzinfo) -> datetime | None:
    """An aware datetime in the office's zone, so clients see local time and its offset."""
    return at.astimezone(tz) if at is not None else None


def _eta(estimate: Estimate | None) -> dict[str, Any]:
    if estimate is None:
        return {"eta_seconds": None, "eta_range": None}
    return {"eta_seconds": estimate.seconds, "eta_range": [estimate.low, estimate.high]}


def ticket(issued: Issued) -> dict[str, Any]:
    """A ticket with its place in the queue (position only while it waits)."""
    t = issued.ticket
    tz = zone(t.timezone)
    waiting = t.status is TicketStatus.WAITING
    language = page_language()
    return {
        "id": t.id,
        "number": t.number,
        "service": t.service_code,
        "priority": t.priority,
        "priority_reason": t.priority_reason,
        "status": t.status,
        "position": issued.ahead + 1 if waiting else None,
        "people_ahead": issued.ahead if waiting else None,
        "people_ahead_text": people_words(issued.ahead, language) if waiting else None,
        **_eta(issued.estimate),
        "eta_text": wait_words(issued.estimate, language) if waiting else None,
        "issued_at": _local(t.issued_at, tz),
        "called_at": _local(t.called_at, tz),
        "started_at": _local(t.started_at, tz),
        "finished_at": _local(t.finished_at, tz),
        "counter": (
            {
                "id": t.counter_id,
                "number": t.counter_number,
                "name": t.counter_name,
                "name_en": t.counter_name_en,
            }
            if t.counter_id
            else None
        ),
        "recall_count": t.recall_count,
        "transferred_from": t.transferred_from_id,
        "status_url": status_url(t.public_token, language),
    }


def service(s: Service, unavailable: str | None, daily_cap: int | None) -> dict[str, Any]:
    """A service, the daily cap that holds for it, and whether it issues tickets now."""
    return {
        "code": s.code,
        "letter": s.letter,
        "name_fa": s.name_fa,
        "name_en": s.name_en,
        "group": s.group,
        "target_wait_seconds": s.target_wait_seconds,
        "active": s.active,
        "opens_at": s.opens_at,
        "closes_at": s.closes_at,
        "daily_cap": daily_cap,
        "available": unavailable is None,
        "unavailable_reason": unavailable,
    }


def counter(row: tuple[Counter, str | None]) -> dict[str, Any]:
    c, clerk = row
    return {
        "id": c.id,
        "number": c.number,
        "name": c.name,
        "name_en": c.name_en,
        "state": c.state,
        "clerk": clerk,
        "pause_reason": c.pause_reason,
        "services": [{"service": link.service.code, "tier": link.tier} for link in c.links],
    }


def counter_view(view: CounterView, timezone: str) -> dict[str, Any]:
    """A counter as its clerk's screen shows it (see ``server.engine.counter_view``)."""
    tz = zone(timezone)
    c = view.counter
    return {
        "counter": {
            "id": c.id,
            "number": c.number,
            "name": c.name,
            "name_en": c.name_en,
            "state": c.state,
            "clerk": c.clerk,
            "pause_reason": c.pause_reason,
            "services": [{"service": q.code, "tier": q.tier} for q in view.queues],
        },
        "current": ticket(Issued(view.current)) if view.current else None,
        "current_transferred_from": view.transferred_from,
        "queues": [
            {
                "code": q.code,
                "letter": q.letter,
                "name_fa": q.name_fa,
                "name_en": q.name_en,
                "tier": q.tier,
                "waiting": q.waiting,
                "oldest_queued_at": _local(q.oldest_queued_at, tz),
                "longest_wait_seconds": (
                    max(0, int((view.at - q.oldest_queued_at).total_seconds()))
                    if q.oldest_queued_at
                    else None
                ),
            }
            for q in view.queues
        ],
        "next": ticket(Issued(view.next)) if view.next else None,
        "parked": [ticket(Issued(t)) for t in view.parked],
        "today": {"served": view.served_today, "no_show": view.no_show_today},
        "at": _local(view.at, tz),
    }


def board(snapshot: Snapshot) -> dict[str, Any]:
    tz = zone(snapshot.office.timezone)

    def board_ticket(data: dict[str, Any] | None) -> dict[str, Any] | None:
        if data is None:
            return None
        return {**data, "called_at": _local(data.get("called_at"), tz)}

    return {
        "office": snapshot.office.code,
        "seq": snapshot.seq,
        "at": _local(snapshot.at, tz),
        "services": [
            {
                **service(q.service, q.unavailable, q.daily_cap),
                "waiting": q.waiting,
                "oldest_queued_at": _local(q.oldest_queued_at, tz),
                **_eta(q.estimate),
                "eta_text": wait_words_by_language(q.estimate),
            }
            for q in snapshot.services
        ],
        "counters": [{**c, "ticket": board_ticket(c["ticket"])} for c in snapshot.counters],
        "recent_calls": [board_ticket(t) for t in snapshot.recent_calls],
    }
