"""What a clerk's screen shows of their counter: the citizen at it, what waits for it
(each service in tier order, with its count and longest wait), the ticket *call next*
would take, its parked tickets, and the clerk's own day.

Every read is bounded by today's open tickets of the counter's services or by the
clerk's calls of today, so the screen costs the same on the last day of a year as
on the first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from server.engine import routing
from server.engine.clock import business_date, utcnow, zone
from server.engine.counters import current_ticket
from server.engine.errors import N_, NotFound
from server.engine.facts import (
    COUNTER_COLUMNS,
    CounterFacts,
    TicketFacts,
    counters,
    office_by_id,
    services,
    ticket_by_id,
    ticket_view,
    tickets,
)
from server.engine.settings import EngineSettings
from server.models import IS_PARKED, IS_WAITING, CounterService, TicketStatus

links = CounterService.__table__

_COUNTER = select(*COUNTER_COLUMNS).where(counters.c.id == bindparam("counter"))


def _of_service(column):
    """A per-service aggregate over today's waiting tickets (a range of ix_tickets_waiting)."""
    return (
        select(column)
        .where(
            tickets.c.service_id == links.c.service_id,
            tickets.c.business_date == bindparam("day"),
            IS_WAITING,
        )
        .scalar_subquery()
    )


_QUEUES = (
    select(
        services.c.code,
        services.c.letter,
        services.c.name_fa,
        services.c.name_en,
        links.c.tier,
        _of_service(func.count()).label("waiting"),
        _of_service(func.min(tickets.c.queued_at)).label("oldest"),
    )
    .join(services, services.c.id == links.c.service_id)
    .where(links.c.counter_id == bindparam("counter"), services.c.active)
    .order_by(links.c.tier, services.c.position, services.c.id)
)
_PARKED = (
    ticket_view()
    .where(
        tickets.c.office_id == bindparam("office"),
        tickets.c.business_date == bindparam("day"),
        tickets.c.counter_id == bindparam("counter"),
        IS_PARKED,
    )
    .order_by(tickets.c.id)
)
# The clerk's calls of today, by the office's recent-calls index; counted by outcome.
_OUTCOMES = (
    select(tickets.c.status, func.count())
    .where(
        tickets.c.office_id == bindparam("office"),
        tickets.c.called_at >= bindparam("since"),
        tickets.c.clerk_id == bindparam("clerk"),
        tickets.c.status.in_([TicketStatus.DONE, TicketStatus.NO_SHOW]),
    )
    .group_by(tickets.c.status)
)
_NUMBER = select(tickets.c.number).where(tickets.c.id == bindparam("id"))


@dataclass(frozen=True)
class ServiceQueue:
    """One service the counter serves, as its tier puts it."""

    code: str
    letter: str
    name_fa: str
    name_en: str
    tier: int
    waiting: int
    oldest_queued_at: datetime | None


@dataclass(frozen=True)
class CounterView:
    counter: CounterFacts
    current: TicketFacts | None
    #: The number of the ticket the current one was transferred from, if any.
    transferred_from: str | None
    queues: list[ServiceQueue]
    next: TicketFacts | None
    parked: list[TicketFacts]
    served_today: int
    no_show_today: int
    at: datetime


def view(
    session: Session,
    counter_id: int,
    *,
    clerk_id: int | None,
    settings: EngineSettings,
    now: datetime | None = None,
) -> CounterView:
    """The counter as its clerk's screen shows it; ``clerk_id``'s own counts of today."""
    now = now or utcnow()
    row = session.execute(_COUNTER, {"counter": counter_id}).first()
    if row is None:
        raise NotFound(N_("no counter %(id)s"), id=counter_id)
    counter = CounterFacts(*row)
    office = office_by_id(session, counter.office_id)
    day = business_date(office.timezone, now)
    params = {"counter": counter.id, "office": office.id, "day": day}
    current = current_ticket(session, counter.id)
    came_from = current.transferred_from_id if current else None
    next_id = routing.peek_next(
        session,
        counter,
        day=day,
        routing=routing.policy(office.routing_policy),
        priority_bound=settings.priority_bound,
    )
    midnight = datetime.combine(day, datetime.min.time(), zone(office.timezone))
    outcomes = dict(
        session.execute(_OUTCOMES, {**params, "since": midnight, "clerk": clerk_id}).all()
        if clerk_id is not None
        else []
    )
    return CounterView(
        counter=counter,
        current=current,
        transferred_from=(
            session.execute(_NUMBER, {"id": came_from}).scalar() if came_from else None
        ),
        queues=[ServiceQueue(*queue) for queue in session.execute(_QUEUES, params)],
        next=ticket_by_id(session, next_id) if next_id is not None else None,
        parked=[TicketFacts(*parked) for parked in session.execute(_PARKED, params)],
        served_today=outcomes.get(TicketStatus.DONE, 0),
        no_show_today=outcomes.get(TicketStatus.NO_SHOW, 0),
        at=now,
    )
