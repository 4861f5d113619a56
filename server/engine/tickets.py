"""Commands on tickets: issue, transfer, and the clerk's actions on a called ticket."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.engine import events, lifecycle, numbering
from server.engine.clock import utcnow
from server.engine.day import ensure_closed
from server.engine.errors import N_, DomainError, NotFound, ServiceUnavailable
from server.engine.estimates import Estimate, estimate, people_ahead
from server.engine.events import Actor
from server.engine.lifecycle import Action
from server.engine.settings import EngineSettings
from server.models import PRIORITY_REASONS, EventType, Office, Service, Ticket, TicketStatus

_ACTION_EVENTS = {
    Action.RECALL: EventType.RECALLED,
    Action.START: EventType.STARTED,
    Action.COMPLETE: EventType.DONE,
    Action.NO_SHOW: EventType.NO_SHOW,
    Action.CANCEL: EventType.CANCELLED,
}


@dataclass(frozen=True)
class Issued:
    """A new ticket with where it stands in the queue."""

    ticket: Ticket
    ahead: int
    estimate: Estimate | None


def issue(
    session: Session,
    office: Office,
    service_code: str,
    *,
    priority: bool = False,
    priority_reason: str | None = None,
    actor: Actor = events.SYSTEM,
    settings: EngineSettings | None = None,
    now: datetime | None = None,
) -> Issued:
    """Give a citizen the next number of a service."""
    settings = settings or EngineSettings()
    now = now or utcnow()
    service = _active_service(session, office, service_code)
    if priority_reason is not None and priority_reason not in PRIORITY_REASONS:
        raise ValueError(f"unknown priority reason {priority_reason!r}")
    ticket = _new_ticket(session, office, service, priority=priority, queued_at=now, now=now)
    ticket.priority_reason = priority_reason if priority else None
    events.record(
        session, EventType.ISSUED, office_id=office.id, at=now, actor=actor, ticket=ticket
    )
    return where_it_stands(session, ticket, settings)


def where_it_stands(session: Session, ticket: Ticket, settings: EngineSettings) -> Issued:
    """Position and estimated wait of a waiting ticket (none for any other status)."""
    if ticket.status is not TicketStatus.WAITING:
        return Issued(ticket=ticket, ahead=0, estimate=None)
    ahead = people_ahead(session, ticket)
    return Issued(
        ticket=ticket, ahead=ahead, estimate=estimate(session, ticket.service_id, ahead, settings)
    )


def transfer(
    session: Session,
    ticket_id: int,
    service_code: str,
    *,
    actor: Actor = events.SYSTEM,
    now: datetime | None = None,
) -> Ticket:
    """Send a called or serving citizen to another service without losing their place."""
    now = now or utcnow()
    old = _locked_ticket(session, ticket_id)
    office = old.office
    service = _active_service(session, office, service_code)
    if service.id == old.service_id:
        raise DomainError(N_("a ticket cannot be transferred to the service it is already in"))
    lifecycle.apply(old, Action.TRANSFER, now)
    new = _new_ticket(
        session, office, service, priority=old.priority, queued_at=old.queued_at, now=now
    )
    new.transferred_from_id = old.id
    new.priority_reason = old.priority_reason
    events.record(
        session,
        EventType.TRANSFERRED,
        office_id=office.id,
        at=now,
        actor=actor,
        ticket=old,
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
) -> Ticket:
    """Recall, start, complete, mark no-show or cancel a ticket."""
    if action not in _ACTION_EVENTS:
        raise ValueError(f"{action} is not a clerk's action on a ticket")
    now = now or utcnow()
    ticket = _locked_ticket(session, ticket_id)
    lifecycle.apply(ticket, action, now)
    events.record(
        session,
        _ACTION_EVENTS[action],
        office_id=ticket.office_id,
        at=now,
        actor=actor,
        ticket=ticket,
    )
    return ticket


def by_public_token(session: Session, token: str) -> Ticket:
    """The ticket behind a status page link."""
    ticket = session.scalar(select(Ticket).where(Ticket.public_token == token))
    if ticket is None:
        raise NotFound(N_("no ticket has this link"))
    return ticket


def _new_ticket(
    session: Session,
    office: Office,
    service: Service,
    *,
    priority: bool,
    queued_at: datetime,
    now: datetime,
) -> Ticket:
    day = ensure_closed(session, office, now)
    sequence = numbering.next_sequence(session, service.id, day)
    ticket = Ticket(
        office_id=office.id,
        service=service,
        business_date=day,
        sequence=sequence,
        number=numbering.display_number(service.letter, sequence),
        priority=priority,
        status=TicketStatus.WAITING,
        issued_at=now,
        queued_at=queued_at,
        recall_count=0,
        public_token=secrets.token_urlsafe(24),
    )
    session.add(ticket)
    session.flush()
    return ticket


def _active_service(session: Session, office: Office, code: str) -> Service:
    service = session.scalar(
        select(Service).where(Service.office_id == office.id, Service.code == code)
    )
    if service is None:
        raise NotFound(
            N_("office %(office)s has no service %(service)s"), office=office.code, service=code
        )
    if not service.active:
        raise ServiceUnavailable(N_("service %(service)s is not available now"), service=code)
    return service


def _locked_ticket(session: Session, ticket_id: int) -> Ticket:
    ticket = session.get(Ticket, ticket_id, with_for_update=True, populate_existing=True)
    if ticket is None:
        raise NotFound(N_("no ticket %(id)s"), id=ticket_id)
    return ticket
