"""Commands on tickets: issue, transfer, and the clerk's actions on a called ticket."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from server.engine import availability, events, lifecycle, numbering
from server.engine.clock import business_date, utcnow
from server.engine.day import ensure_closed
from server.engine.errors import (
    N_,
    DomainError,
    IdempotencyKeyReused,
    NotFound,
    ServiceUnavailable,
)
from server.engine.estimates import Estimate, estimate, people_ahead
from server.engine.events import Actor
from server.engine.facts import (
    OfficeFacts,
    TicketFacts,
    office_by_id,
    service_names,
    services,
    ticket_by_id,
    tickets,
)
from server.engine.holding import held_ticket
from server.engine.lifecycle import Action
from server.engine.settings import EngineSettings
from server.engine.sql import dialects
from server.engine.sql.prepared import Prepared
from server.models import PRIORITY_REASONS, EventType, Ticket, TicketEvent, TicketStatus

_ACTION_EVENTS = {
    Action.RECALL: EventType.RECALLED,
    Action.START: EventType.STARTED,
    Action.PARK: EventType.PARKED,
    Action.COMPLETE: EventType.DONE,
    Action.NO_SHOW: EventType.NO_SHOW,
    Action.CANCEL: EventType.CANCELLED,
}

_SERVICE = Prepared(
    select(
        services.c.id,
        services.c.letter,
        services.c.active,
        services.c.opens_at,
        services.c.closes_at,
        services.c.daily_cap,
    ).where(services.c.office_id == bindparam("office_id"), services.c.code == bindparam("code"))
)
_events = TicketEvent.__table__
# A keyed ticket with what its key was made for; its one ``issued`` event names the caller.
_BY_REQUEST_KEY = (
    select(
        tickets.c.id,
        services.c.code,
        tickets.c.priority,
        tickets.c.priority_reason,
        _events.c.actor_id,
        _events.c.device_token_id,
    )
    .join(services, services.c.id == tickets.c.service_id)
    .outerjoin(
        _events, (_events.c.ticket_id == tickets.c.id) & (_events.c.type == EventType.ISSUED)
    )
    .where(tickets.c.office_id == bindparam("office_id"), tickets.c.request_key == bindparam("key"))
)


@dataclass(frozen=True)
class KeyedRequest:
    """What an Idempotency-Key stands for: one caller's request for one kind of ticket."""

    service_code: str
    priority: bool
    priority_reason: str | None
    actor: Actor


#: The id a ticket not yet written stands in with: after every ticket there is (ids are
#: 32-bit integers).
NEWCOMER = 2**31 - 1


@dataclass(frozen=True)
class Issued:
    """A ticket with its place in the queue (``ahead`` and ``estimate`` only while waiting)."""

    ticket: TicketFacts
    ahead: int = 0
    estimate: Estimate | None = None
    #: True when the request was a retry of one that already got this ticket.
    replayed: bool = False


def issue(
    session: Session,
    office: OfficeFacts,
    service_code: str,
    *,
    priority: bool = False,
    priority_reason: str | None = None,
    request_key: str | None = None,
    actor: Actor = events.SYSTEM,
    settings: EngineSettings | None = None,
    now: datetime | None = None,
) -> Issued:
    """Give a citizen the next number of a service.

    With a ``request_key``, a retried request (its answer was lost on the way) gets
    the ticket the first one got, not a second number. The key stands for that one
    request: the same key with another service, priority or reason, or from another
    caller, is refused (:class:`IdempotencyKeyReused`), never answered with a ticket
    someone else asked for.
    """
    if priority_reason is not None and priority_reason not in PRIORITY_REASONS:
        raise ValueError(f"unknown priority reason {priority_reason!r}")
    settings = settings or EngineSettings()
    now = now or utcnow()
    priority_reason = priority_reason if priority else None
    if request_key is not None:
        earlier = by_request_key(session, office.id, request_key)
        if earlier is not None:
            ticket, made_for = earlier
            if made_for != KeyedRequest(service_code, priority, priority_reason, actor):
                raise IdempotencyKeyReused(
                    N_("this Idempotency-Key was sent with another request; use a new key")
                )
            return replace(where_it_stands(session, ticket, settings), replayed=True)
    admitted = _admit(session, office, service_code, now, settings.daily_cap)
    # Where the newcomer stands is read before the number is taken: from the number on,
    # every kiosk of the service waits for this transaction to commit.
    ticket = TicketFacts(
        NEWCOMER, office.id, admitted.id, admitted.day, 0, "", priority, priority_reason,
        TicketStatus.WAITING, now, now, None, None, None, None, None, None, 0, "",
        service_code, office.timezone,
    )  # fmt: skip
    stands = where_it_stands(session, ticket, settings)
    ticket = _numbered(
        session,
        office,
        admitted,
        service_code,
        priority=priority,
        priority_reason=priority_reason,
        queued_at=now,
        now=now,
        request_key=request_key,
    )
    events.record(
        session, EventType.ISSUED, office_id=office.id, at=now, actor=actor, ticket=ticket
    )
    return replace(stands, ticket=ticket)


def where_it_stands(session: Session, ticket: TicketFacts, settings: EngineSettings) -> Issued:
    """Position and estimated wait of a waiting ticket (none for any other status)."""
    if ticket.status is not TicketStatus.WAITING:
        return Issued(ticket)
    ahead = people_ahead(session, ticket)
    return Issued(ticket, ahead.people, estimate(session, ahead, settings))


def transfer(
    session: Session,
    ticket_id: int,
    service_code: str,
    *,
    actor: Actor = events.SYSTEM,
    now: datetime | None = None,
) -> TicketFacts:
    """Send a called or serving citizen to another service without losing their place."""
    now = now or utcnow()
    old, _counter = held_ticket(session, ticket_id, actor)
    office = office_by_id(session, old.office_id)
    lifecycle.target(old.status, Action.TRANSFER)
    admitted = _admit(session, office, service_code, now, None, transferred_from=old)
    lifecycle.apply(old, Action.TRANSFER, now)
    session.flush()
    finished = ticket_by_id(session, old.id)
    # The new number last: from it on, every kiosk of the service waits for the commit.
    new = _numbered(
        session,
        office,
        admitted,
        service_code,
        priority=old.priority,
        priority_reason=old.priority_reason,
        queued_at=old.queued_at,
        now=now,
        transferred_from=old,
    )
    events.record(
        session,
        EventType.TRANSFERRED,
        office_id=office.id,
        at=now,
        actor=actor,
        ticket=finished,
        detail=f"to {new.number}",
    )
    events.record(
        session,
        EventType.ISSUED,
        office_id=office.id,
        at=now,
        actor=actor,
        ticket=new,
        detail=f"from {old.number}",
    )
    return new


def act(
    session: Session,
    ticket_id: int,
    action: Action,
    *,
    actor: Actor = events.SYSTEM,
    now: datetime | None = None,
) -> TicketFacts:
    """Recall, start, park, complete, mark no-show or cancel a ticket.

    A ticket at a counter is acted on only by whoever holds that counter.
    """
    if action not in _ACTION_EVENTS:
        raise ValueError(f"{action} is not a clerk's action on a ticket")
    now = now or utcnow()
    ticket, _counter = held_ticket(session, ticket_id, actor)
    lifecycle.apply(ticket, action, now)
    session.flush()
    facts = ticket_by_id(session, ticket.id)
    events.record(
        session,
        _ACTION_EVENTS[action],
        office_id=ticket.office_id,
        at=now,
        actor=actor,
        ticket=facts,
    )
    return facts


def by_request_key(
    session: Session, office_id: int, key: str
) -> tuple[TicketFacts, KeyedRequest] | None:
    """The ticket an earlier request with this Idempotency-Key got, and that request, if any."""
    row = session.execute(_BY_REQUEST_KEY, {"office_id": office_id, "key": key}).first()
    if row is None:
        return None
    ticket_id, code, priority, reason, user_id, device_token_id = row
    made_for = KeyedRequest(code, priority, reason, Actor(user_id, device_token_id))
    return ticket_by_id(session, ticket_id), made_for


def ticket_by_number(
    session: Session, office: OfficeFacts, typed: str, now: datetime | None = None
) -> TicketFacts | None:
    """Today's ticket of the office with the number a clerk typed, if any."""
    day = business_date(office.timezone, now or utcnow())
    ticket_id = numbering.find(session, office.id, day, typed)
    return ticket_by_id(session, ticket_id) if ticket_id is not None else None


def by_public_token(session: Session, token: str) -> TicketFacts:
    """The ticket behind a status page link."""
    ticket_id = session.scalar(select(Ticket.id).where(Ticket.public_token == token))
    if ticket_id is None:
        raise NotFound(N_("no ticket has this link"))
    return ticket_by_id(session, ticket_id)


@dataclass(frozen=True)
class _Admitted:
    """A service that issues a ticket now, the business day, and the cap on its numbers."""

    id: int
    letter: str
    day: date
    cap: int | None


def _admit(
    session: Session,
    office: OfficeFacts,
    service_code: str,
    now: datetime,
    daily_cap: Callable[[int | None], int | None] | None,
    transferred_from: Ticket | None = None,
) -> _Admitted:
    """The service if it issues a ticket now, else the refusal.

    The daily cap (``daily_cap`` of the service's own) limits new arrivals; a citizen
    transferred here already waited, and is never turned away by it (``None``).
    """
    service = _SERVICE.first(session, {"office_id": office.id, "code": service_code})
    if service is None:
        raise NotFound(
            N_("office %(office)s has no service %(service)s"),
            office=office.code,
            service=service_code,
        )
    if transferred_from is not None and transferred_from.service_id == service.id:
        raise DomainError(N_("a ticket cannot be transferred to the service it is already in"))
    day = ensure_closed(session, office, now)
    cap = daily_cap(service.daily_cap) if daily_cap is not None else None
    why = availability.reason(
        active=service.active,
        opens_at=service.opens_at,
        closes_at=service.closes_at,
        daily_cap=cap,
        # The numbering holds the cap itself, exactly (below); here only a cap of 0 refuses.
        issued=0,
        timezone=office.timezone,
        now=now,
    )
    if why is not None:
        raise _unavailable(session, service.id, why)
    return _Admitted(service.id, service.letter, day, cap)


def _numbered(
    session: Session,
    office: OfficeFacts,
    service: _Admitted,
    service_code: str,
    *,
    priority: bool,
    priority_reason: str | None,
    queued_at: datetime,
    now: datetime,
    transferred_from: Ticket | None = None,
    request_key: str | None = None,
) -> TicketFacts:
    """The new waiting ticket with the service's next number, or the daily cap's refusal."""
    row = dialects.of(session).new_ticket(
        session,
        {
            "office_id": office.id,
            "service_id": service.id,
            "business_date": service.day,
            "priority": priority,
            "priority_reason": priority_reason,
            "status": TicketStatus.WAITING,
            "issued_at": now,
            "queued_at": queued_at,
            "recall_count": 0,
            "public_token": secrets.token_urlsafe(24),
            "transferred_from_id": transferred_from.id if transferred_from else None,
            "request_key": request_key,
            "letter": service.letter,
            "cap": numbering.NO_CAP if service.cap is None else service.cap,
        },
        lambda sequence: numbering.display_number(service.letter, sequence),
    )
    if row is None:
        raise _unavailable(session, service.id, availability.Unavailable.DAILY_CAP)
    return TicketFacts(*row, service_code=service_code, timezone=office.timezone)


def _unavailable(
    session: Session, service_id: int, why: availability.Unavailable
) -> ServiceUnavailable:
    return ServiceUnavailable(
        availability.MESSAGES[why], service=service_names(session, service_id), reason=why.value
    )
