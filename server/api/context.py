"""What every view needs: the session, the engine's settings, and 404s for unknown ids."""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext
from flask_smorest import abort
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from server.engine.facts import OfficeFacts, counter_office, office_by_code
from server.engine.settings import EngineSettings
from server.extensions import db
from server.models import Ticket

_tickets = Ticket.__table__
_TICKET_OFFICE = select(_tickets.c.office_id).where(_tickets.c.id == bindparam("id"))


def session() -> Session:
    return db.session


def settings() -> EngineSettings:
    """The engine's settings, built once per app from its configuration."""
    return current_app.extensions["nobat.engine_settings"]


def office_or_404(code: str) -> OfficeFacts:
    office = office_by_code(session(), code)
    if office is None:
        abort(404, message=gettext("no office %(code)s", code=code))
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
