"""Printing tickets: a job per ticket, printed by the server itself or by a print agent.

A kiosk's printer is a URL the server drives (``preview://`` — the embedded
default — ``tcp://host:9100``, ``file://``…), ``agent`` when a print agent beside
the kiosk drives a USB or serial printer, or ``none``. Jobs are stored with
their state; a job older than ``PRINT_MAX_AGE`` when its printer is ready is
marked stale instead of printed, so a printer that comes back after a paper
change never prints a pile of old tickets. Every outcome reaches the kiosk as a
``print_status`` event, and failures stay visible to staff through the API.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from flask import Flask, current_app
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from printer_drivers import Paper, PrinterError, TicketRenderError, open_printer
from printer_drivers.render_process import RenderProcess
from server.engine import events
from server.engine.clock import utcnow, zone
from server.engine.facts import TicketFacts, office_by_id, service_names, ticket_by_id
from server.engine.sql.prepared import Prepared
from server.engine.tickets import Issued, where_it_stands
from server.engine_settings import engine_settings
from server.extensions import db
from server.models import ApiToken, PrintJob, PrintState
from server.ticket_links import status_url
from server.wording import people_words, printed_labels, wait_words

log = logging.getLogger(__name__)

AGENT = "agent"
NO_PRINTER = "none"
AGENT_ALIVE = timedelta(seconds=30)
NOT_CONNECTED = "agent_not_connected"  # the reason a pending job waits for its agent


def kiosk_printer(configured: str | None) -> str:
    """Where a kiosk's tickets print: its own setting, or the server's default."""
    return configured or current_app.config["DEFAULT_PRINTER"]


class Order(NamedTuple):
    """A job and what its ticket shows, gathered in the transaction that creates the job.

    After the commit, :func:`dispatch` sends it on without touching the database again.
    """

    job: PrintJob
    data: dict[str, Any]


_INSERT_JOB = Prepared(insert(PrintJob.__table__).returning(PrintJob.__table__.c.id))


def _columns(job: PrintJob) -> dict[str, Any]:
    return {c.key: getattr(job, c.key) for c in PrintJob.__table__.c if c.key != "id"}


def create_job(
    session: Session,
    ticket: TicketFacts,
    kiosk_token_id: int | None,
    printer: str,
    language: str,
    stands: Issued | None = None,
) -> Order:
    """A pending job for ``ticket``, in the caller's transaction (a ticket never lacks its job).

    ``stands``: where the ticket stands, when the caller has just worked it out.
    """
    job = new_job(session, ticket.office_id, kiosk_token_id, printer, language)
    job.ticket_id = ticket.id
    # One prepared INSERT: the ORM's flush of the same row cost more than the rest of the job.
    # ``job`` stays out of the session, a record of what was stored.
    job.id = _INSERT_JOB.scalar(session, _columns(job))
    return order_of(session, job, stands)


def order_of(session: Session, job: PrintJob, stands: Issued | None = None) -> Order:
    """``job`` with what its ticket shows, ready to dispatch."""
    return Order(job, print_data(session, job.ticket_id, job.language, stands))


def new_job(
    session: Session, office_id: int, kiosk_token_id: int | None, printer: str, language: str
) -> PrintJob:
    """A pending job not yet written or tied to its ticket, with what is known of its printer.

    Made before an issue takes its number: the agent check is a read, and every read
    after the number keeps the service's other kiosks waiting.
    """
    now = utcnow()
    job = PrintJob(
        office_id=office_id,
        kiosk_token_id=kiosk_token_id,
        printer=printer,
        state=PrintState.PENDING,
        attempts=0,
        language=language,
        created_at=now,
        updated_at=now,
    )
    if printer == AGENT and not agent_alive(session, kiosk_token_id):
        # Still pending: an agent that comes back in time prints it.
        job.reason, job.message = NOT_CONNECTED, "the print agent is not connected"
    return job


def write_with_the_commit(session: Session, job: PrintJob, ticket: TicketFacts) -> None:
    """Write ``job`` for ``ticket`` in the commit's round trip (a ticket never lacks its job)."""
    job.ticket_id = ticket.id
    events.with_the_commit(
        session, _INSERT_JOB, _columns(job), lambda rows: setattr(job, "id", rows[0][0])
    )


def job_view(job: PrintJob) -> dict[str, Any]:
    """A job as the API and events show it."""
    return {
        "id": job.id,
        "ticket": job.ticket_id,
        "state": job.state.value,
        "reason": job.reason,
        "message": job.message,
        "printer": job.printer,
        "attempts": job.attempts,
        "created_at": job.created_at.isoformat(),
        "updated_at": job.updated_at.isoformat(),
        "preview": job.preview,
    }


def print_data(
    session: Session,
    ticket_id: int,
    language: str,
    stands: Issued | None = None,
) -> dict[str, Any]:
    """What a printed ticket shows, as JSON-ready data (an agent renders it itself).

    ``stands``: where the ticket stands, when the caller has just worked it out (issue).
    """
    if stands is None:
        stands = where_it_stands(session, ticket_by_id(session, ticket_id), engine_settings())
    ticket, found = stands.ticket, stands.estimate
    office = office_by_id(session, ticket.office_id)
    service = service_names(session, ticket.service_id)
    fa = language == "fa"
    return {
        "office_name": office.name_fa if fa else office.name_en,
        "service_name": service.name_fa if fa else service.name_en,
        "number": ticket.number,
        "people_ahead": stands.ahead,
        "people": people_words(stands.ahead, language),
        "wait": wait_words(found, language),
        "issued_at": ticket.issued_at.astimezone(zone(ticket.timezone)).isoformat(),
        "status_url": status_url(ticket.public_token, language),
        "footer": "",
        "language": language,
        "labels": printed_labels(language),
    }


def finish(
    session: Session,
    job_id: int,
    state: PrintState,
    reason: str | None = None,
    message: str | None = None,
    preview: str | None = None,
) -> PrintJob | None:
    """Record a job's outcome once: a job already printed, failed or stale stays as it is."""
    job = session.get(PrintJob, job_id, with_for_update=True, populate_existing=True)
    if job is None or job.state is not PrintState.PENDING:
        return None
    job.state, job.reason = state, reason
    job.message = message[:300] if message else None
    job.preview = preview
    job.attempts += 1
    job.updated_at = utcnow()
    return job


def pending_for(session: Session, kiosk_token_id: int) -> tuple[list[PrintJob], list[PrintJob]]:
    """A kiosk's jobs still worth printing, oldest first, and those just made stale (unprinted)."""
    oldest = utcnow() - timedelta(seconds=current_app.config["PRINT_MAX_AGE"])
    fresh, stale = [], []
    for job in session.scalars(
        select(PrintJob)
        .where(PrintJob.kiosk_token_id == kiosk_token_id, PrintJob.state == PrintState.PENDING)
        .order_by(PrintJob.created_at)
    ).all():
        if job.created_at < oldest:
            stale.append(finish(session, job.id, PrintState.STALE, "stale", "too old to print"))
        else:
            fresh.append(job)
    return fresh, stale


def pending_orders(
    session: Session, kiosk_token_id: int
) -> tuple[list[dict[str, Any]], list[PrintJob]]:
    """What a kiosk's print agent is sent for its jobs still worth printing, oldest first,
    and the jobs just made stale (unprinted)."""
    fresh, stale = pending_for(session, kiosk_token_id)
    orders = [agent_order(job, print_data(session, job.ticket_id, job.language)) for job in fresh]
    return orders, stale


def agent_order(job: PrintJob, data: dict[str, Any]) -> dict[str, Any]:
    """A job as its print agent is sent it: the ticket to print and until when it is worth it."""
    return {"job": job.id, "ticket": data, "expires_at": deadline(job)}


def is_kiosks_job(session: Session, job_id: int, kiosk_token_id: int) -> bool:
    """Whether the job is the kiosk's: an agent reports only on its own kiosk's jobs."""
    owner = session.scalar(select(PrintJob.kiosk_token_id).where(PrintJob.id == job_id))
    return owner == kiosk_token_id


def agent_seen(session: Session, kiosk_token_id: int, at: datetime | None) -> None:
    """Record when the kiosk's print agent was last heard from (None: it has left)."""
    session.execute(update(ApiToken).where(ApiToken.id == kiosk_token_id).values(agent_seen_at=at))


def agent_alive(session: Session, kiosk_token_id: int) -> bool:
    """Whether the kiosk's print agent has said lately that it is alive."""
    seen = session.scalar(select(ApiToken.agent_seen_at).where(ApiToken.id == kiosk_token_id))
    return seen is not None and utcnow() - seen < AGENT_ALIVE


def deadline(job: PrintJob) -> str:
    """When a job stops being worth printing (an agent checks it before it prints)."""
    limit = job.created_at + timedelta(seconds=current_app.config["PRINT_MAX_AGE"])
    return limit.isoformat()


class PrintService:
    """Runs an app's own print jobs on a small thread pool; hands the others to the agent."""

    def __init__(
        self, app: Flask, notify: Callable[[int | None, str, dict[str, Any]], None]
    ) -> None:
        """``notify(kiosk_token_id, event, payload)`` sends to the kiosk's room."""
        self.app, self.notify = app, notify
        # Two threads (greenlets under gevent), started on first use, wait for the printers;
        # the rendering's CPU goes to a child process, off the requests' GIL.
        self.pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="nobat-print")
        self.renderer = RenderProcess()

    def shutdown(self) -> None:
        """Finish the jobs under way (an app that is being closed, e.g. between tests)."""
        self.pool.shutdown(wait=True)
        self.renderer.close()

    def dispatch(self, order: Order) -> None:
        """Send a committed job on its way: to the agent, or to the server's own printer."""
        job, data = order
        if job.printer != AGENT:
            self.pool.submit(self._print_here, job.id, job.printer, job.created_at, data)
            return
        self.notify(job.kiosk_token_id, "print", agent_order(job, data))
        if job.reason == NOT_CONNECTED:
            self.notify(job.kiosk_token_id, "print_status", job_view(job))

    def _print_here(
        self, job_id: int, printer_url: str, created_at: datetime, data: dict[str, Any]
    ) -> None:
        # No transaction is open while printing: on SQLite it would hold the writer lock
        # that every kiosk and clerk waits for.
        outcome = self._run(printer_url, created_at, data)
        with self.app.app_context():
            session = db.session
            changed = finish(session, job_id, *outcome)
            session.commit()
            if changed is not None:
                self.notify(changed.kiosk_token_id, "print_status", job_view(changed))

    def _run(self, printer_url: str, created_at: datetime, data: dict[str, Any]) -> tuple[Any, ...]:
        if (utcnow() - created_at).total_seconds() > self.app.config["PRINT_MAX_AGE"]:
            return (PrintState.STALE, "stale", "too old to print")
        try:
            previews = self.app.config["INSTANCE"] / "previews"
            printer = open_printer(printer_url, preview_dir=previews)
            with printer:
                ticket = self.renderer.render(data, Paper.MM80)
                printer.print_ticket(ticket, job_name=data["number"])
        except PrinterError as error:
            return (PrintState.FAILED, error.code, str(error))
        except TicketRenderError as error:
            log.error("ticket %s could not be rendered: %s", data["number"], error)
            return (PrintState.FAILED, "render_error", str(error))
        preview = getattr(printer, "last_png", None)
        return (PrintState.PRINTED, None, None, preview.name if preview else None)


def init_app(app: Flask, notify: Callable[[int | None, str, dict[str, Any]], None]) -> None:
    """Give the app its print service."""
    app.extensions["nobat.printing"] = PrintService(app, notify)


def dispatch(order: Order) -> None:
    """Send a committed job on its way (see :meth:`PrintService.dispatch`)."""
    current_app.extensions["nobat.printing"].dispatch(order)
