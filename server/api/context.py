"""What every view needs: the session, the engine's settings, and 404s for unknown ids."""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext
from flask_smorest import abort
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.engine.settings import EngineSettings
from server.extensions import db
from server.models import Counter, Office, Ticket

# Path ids are bounded in the URL rules, so no id overflows a database integer.
MAX_ID = 2**31 - 1


def session() -> Session:
    return db.session


def settings() -> EngineSettings:
    """The engine's settings, built once per app from its configuration."""
    return current_app.extensions["nobat.engine_settings"]


def office_or_404(code: str) -> Office:
    office = session().scalar(select(Office).where(Office.code == code))
    if office is None:
        abort(404, message=gettext("no office %(code)s", code=code))
    return office


def counter_or_404(counter_id: int) -> Counter:
    counter = session().get(Counter, counter_id)
    if counter is None:
        abort(404, message=gettext("no counter %(id)s", id=counter_id))
    return counter


def ticket_or_404(ticket_id: int) -> Ticket:
    ticket = session().get(Ticket, ticket_id)
    if ticket is None:
        abort(404, message=gettext("no ticket %(id)s", id=ticket_id))
    return ticket
