"""What every view needs: the session, who acts, and 404s for unknown ids."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask_babel import gettext
from flask_smorest import abort
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from server import audit
from server.api.errors import echoed
from server.auth import Caller, Principal, authenticate
from server.engine.errors import N_, DomainError
from server.engine.events import Actor
from server.engine.facts import OfficeFacts, counter_office, counters, office_by_code
from server.extensions import db
from server.models import PrintJob, Ticket, User

_tickets = Ticket.__table__
_TICKET_OFFICE = select(_tickets.c.office_id).where(_tickets.c.id == bindparam("id"))
_JOB_OFFICE = select(PrintJob.office_id).where(PrintJob.id == bindparam("id"))
_TICKET_COUNTER = select(_tickets.c.counter_id).where(_tickets.c.id == bindparam("id"))
_HOLDER = select(counters.c.clerk_id).where(counters.c.id == bindparam("id"))


def session() -> Session:
    return db.session


@contextmanager
def reading() -> Iterator[Session]:
    """A session for a long read (statistics) that holds up no kiosk or counter.

    The request's own transaction ends first: on SQLite it holds the write lock.
    """
    session().commit()
    with db.reading() as reader:
        yield reader


def office_or_404(code: str) -> OfficeFacts:
    office = office_by_code(session(), code)
    if office is None:
        abort(404, message=gettext("no office %(code)s", code=echoed(code)))
    return office


def counter_office_or_404(counter_id: int) -> int:
    """The office of the counter: what authorisation needs before the engine locks it."""
    office_id = counter_office(session(), counter_id)
    if office_id is None:
        abort(404, message=gettext("no counter %(id)s", id=counter_id))
    return office_id


def ticket_office_or_404(ticket_id: int) -> int:
    """The office of the ticket, for authorisation."""
    office_id = session().execute(_TICKET_OFFICE, {"id": ticket_id}).scalar()
    if office_id is None:
        abort(404, message=gettext("no ticket %(id)s", id=ticket_id))
    return office_id


def acting() -> audit.Actor:
    """The caller as the audit log names them: a user by name, a device by kind and id."""
    principal = authenticate(session())
    if principal.user_id is not None:
        name = session().scalar(select(User.username).where(User.id == principal.user_id))
        return audit.Actor(name or "?", principal.user_id)
    return audit.Actor(f"{principal.kind.value} #{principal.token_id}")


def print_job_office_or_404(job_id: int) -> int:
    """The office of the print job, for authorisation."""
    office_id = session().execute(_JOB_OFFICE, {"id": job_id}).scalar()
    if office_id is None:
        abort(404, message=gettext("no print job %(id)s", id=job_id))
    return office_id


def counter_actor(counter_id: int) -> tuple[Principal, Actor]:
    """Who acts at this counter (admitted by its ``@blp.allow``): a clerk, or a device at
    this very counter.

    A device (a caller keypad) acts for the clerk who holds the counter; with nobody
    holding it there is no one to act for, so the clerk opens it on the page first.
    """
    principal = authenticate(session())
    return principal, _acting(principal, counter_id)


def ticket_actor(ticket_id: int) -> Actor:
    """Who acts on this ticket (admitted by its ``@blp.allow``): a clerk, or a device at the
    ticket's counter."""
    principal = authenticate(session())
    if principal.caller is not Caller.COUNTER:
        return principal.actor
    at = session().execute(_TICKET_COUNTER, {"id": ticket_id}).scalar()
    return _acting(principal, at)


def _acting(principal: Principal, counter_id: int | None) -> Actor:
    if principal.caller is not Caller.COUNTER:
        return principal.actor
    if counter_id != principal.counter_id:
        abort(403, message=gettext("this device belongs to another counter"))
    holder = session().execute(_HOLDER, {"id": counter_id}).scalar()
    if holder is None:
        raise DomainError(N_("this counter is closed; a clerk opens it on the counter page first"))
    return Actor(user_id=holder, device_token_id=principal.token_id)
