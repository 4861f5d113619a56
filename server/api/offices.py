"""Office resources: services, counters, issuing tickets, and the live queue."""

from __future__ import annotations

import logging
from typing import Any

from flask.views import MethodView
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from server import audit, engine, limits, printing
from server.api import present
from server.api.access import MANAGERS, STAFF, At, Who, caller
from server.api.blueprint import Blueprint
from server.api.context import acting, office_or_404, session
from server.api.schemas import (
    BulkCancel,
    BulkCancelOut,
    CounterOut,
    Error,
    IssueHeaders,
    IssueTicket,
    QueueOut,
    ServiceOut,
    TicketLookup,
    TicketOut,
)
from server.auth import Caller, Principal
from server.engine import availability, snapshot
from server.engine.clock import business_date, utcnow
from server.engine.errors import N_
from server.engine.facts import OfficeFacts
from server.engine_settings import engine_settings
from server.models import Counter, CounterService, PrintJob, Service, User

blp = Blueprint("offices", __name__, url_prefix="/api/v1/offices", description="Offices")

log = logging.getLogger(__name__)

OFFICE = "<string(maxlength=32):office>"
TOO_MANY = (
    "too many tickets from this kiosk (or user) or this address: `Retry-After` says in how "
    "many seconds to try again"
)
ANYONE = STAFF | {Who.KIOSK, Who.DISPLAY}


@blp.route(f"/{OFFICE}/services")
class Services(MethodView):
    @blp.allow(ANYONE, At.OFFICE)
    @blp.response(200, ServiceOut(many=True))
    def get(self, office: str) -> list[dict[str, Any]]:
        """The office's services in display order."""
        found = office_or_404(office)
        now = utcnow()
        issued = availability.issued_today(session(), found.id, business_date(found.timezone, now))
        services = session().scalars(
            select(Service)
            .where(Service.office_id == found.id)
            .order_by(Service.position, Service.id)
        )
        result = []
        for s in services:
            cap = engine_settings().daily_cap(s.daily_cap)
            why = snapshot.unavailable(s, found.timezone, now, cap, issued.get(s.id, 0))
            result.append(present.service(s, why, cap))
        return result


@blp.route(f"/{OFFICE}/counters")
class Counters(MethodView):
    @blp.allow(ANYONE, At.OFFICE)
    @blp.response(200, CounterOut(many=True))
    def get(self, office: str) -> list[dict[str, Any]]:
        """The office's counters with their state and the services they serve, by tier."""
        found = office_or_404(office)
        rows = session().execute(
            select(Counter, User.username)
            .outerjoin(User, User.id == Counter.clerk_id)
            .where(Counter.office_id == found.id)
            .order_by(Counter.number)
            .options(selectinload(Counter.links).selectinload(CounterService.service))
        )
        return [present.counter(row) for row in rows]


@blp.route(f"/{OFFICE}/tickets")
class Tickets(MethodView):
    @blp.allow(STAFF, At.OFFICE)
    @blp.arguments(TicketLookup(), location="query")
    @blp.response(200, TicketOut(many=True))
    def get(self, query: dict[str, Any], office: str) -> list[dict[str, Any]]:
        """Today's ticket with this number (none or one), for a clerk's look-up: e.g. to cancel
        the ticket of a citizen who left."""
        found = office_or_404(office)
        ticket = engine.ticket_by_number(session(), found, query["number"])
        if ticket is None:
            return []
        return [present.ticket(engine.where_it_stands(session(), ticket, engine_settings()))]

    @blp.allow(STAFF | {Who.KIOSK}, At.OFFICE)
    @limits.issue_limits
    @blp.alt_response(429, schema=Error, description=TOO_MANY)
    @blp.refusal(404, "no office with this code, or it has no such service")
    @blp.refusal(
        409,
        "`service_unavailable`: the service issues no tickets now (`details.reason` says "
        "why); `idempotency_key_reused`: the key was used for another request or caller",
    )
    @blp.arguments(IssueHeaders(), location="headers")
    @blp.arguments(IssueTicket())
    @blp.response(201, TicketOut)
    def post(self, headers: dict[str, Any], body: dict[str, Any], office: str) -> dict[str, Any]:
        """Issue a ticket: the citizen's number, place in the queue and estimated wait."""
        found, principal = office_or_404(office), caller()
        key = headers["idempotency_key"]
        try:
            return _issue(found, principal, body, key)
        except IntegrityError:
            if key is None:
                raise
            # The same key raced in from a second request: answer with the first one's ticket
            # (or refuse it, if the two were not the same request from the same caller).
            session().rollback()
            return _issue(found, principal, body, key)


def _issue(
    office: OfficeFacts, principal: Principal, body: dict[str, Any], key: str | None
) -> dict[str, Any]:
    job = None
    if principal.caller is Caller.KIOSK:
        printer = printing.kiosk_printer(principal.printer)
        if printer != printing.NO_PRINTER:
            job = printing.new_job(
                session(), office.id, principal.token_id, printer, body["language"]
            )
    issued = engine.issue(
        session(),
        office,
        body["service"],
        priority=body["priority"],
        priority_reason=body["priority_reason"],
        request_key=key,
        actor=principal.actor,
        settings=engine_settings(),
    )
    payload = present.ticket(issued)
    if issued.replayed:
        found = session().scalar(
            select(PrintJob).where(PrintJob.ticket_id == issued.ticket.id).order_by(PrintJob.id)
        )
        payload["print"] = printing.job_view(found) if found else None
        return payload
    # From the number on, the service's other kiosks wait for this commit: the job is
    # written in its round trip, and what it prints is worked out after.
    if job is not None:
        printing.write_with_the_commit(session(), job, issued.ticket)
    session().commit()
    if job is not None:
        printing.dispatch(printing.order_of(session(), job, issued))
        payload["print"] = printing.job_view(job)
    return payload


@blp.route(f"/{OFFICE}/tickets/cancel")
class CancelWaiting(MethodView):
    @blp.allow(MANAGERS, At.OFFICE, N_("only a manager or an administrator cancels in bulk"))
    @blp.arguments(BulkCancel())
    @blp.response(200, BulkCancelOut)
    def post(self, body: dict[str, Any], office: str) -> dict[str, Any]:
        """Cancel today's waiting tickets of a service, numbers `from`–`to` or `all`: the office's
        manager (or an administrator) clearing a flood. Each ticket gets its `cancelled` event;
        tickets already called or finished are left as they are."""
        found, principal = office_or_404(office), caller()
        cancelled = engine.cancel_waiting(
            session(),
            found,
            body["service"],
            first=body["first"],
            last=body["last"],
            actor=principal.actor,
        )
        numbers = [t.number for t in cancelled]
        audit.record(
            session(),
            acting(),
            "tickets.cancel",
            at=utcnow(),
            office_id=found.id,
            target=f"{body['service']}: {body['first'] or '…'}–{body['last'] or '…'}",
            after={"cancelled": len(cancelled), "numbers": numbers},
        )
        session().commit()
        return {
            "service": body["service"],
            "cancelled": len(cancelled),
            "numbers": numbers,
        }


@blp.route(f"/{OFFICE}/queue")
class Queue(MethodView):
    @blp.allow(STAFF | {Who.DISPLAY}, At.OFFICE)
    @blp.response(200, QueueOut)
    def get(self, office: str) -> dict[str, Any]:
        """The live board: waiting per service with estimates, counters, recent calls, sequence."""
        found = office_or_404(office)
        return present.board(snapshot.take(session(), found, engine_settings()))
