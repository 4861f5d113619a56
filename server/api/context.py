"""What every view needs: the session, the engine's settings, and 404s for unknown ids."""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext
from flask_smorest import abort
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from server.engine.facts import OfficeFacts, office_by_code
from server.engine.settings import EngineSettings
from server.extensions import db
from server.models import Counter, Ticket

_counters, _tickets = Counter.__table__, Ticket.__table__
_COUNTER_OFFICE = select(_counters.c.office_id).where(_counters.c.id == bindparam("id"))
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


# A counter never moves to another office, so the answer is kept for the process's life.
_counter_offices: dict[tuple[str, int], int] = {}


def counter_office_or_404(counter_id: int) -> int:
    """The office of the counter: what authorisation needs before the engine locks it."""
    key = (str(session().get_bind().url), counter_id)
    office_id = _counter_offices.get(key)
    if office_id is None:
        office_id = session().execute(_COUNTER_OFFICE, {"id": counter_id}).scalar()
        if office_id is None:
            abort(404, message=gettext("no counter %(id)s", id=counter_id))
        _counter_offices[key] = office_id
    return office_id


def ticket_office_or_404(ticket_id: int) -> int:
    """The office of the ticket, for authorisation."""
    office_id = session().execute(_TICKET_OFFICE, {"id": ticket_id}).scalar()
    if office_id is None:
        abort(404, message=gettext("no ticket %(id)s", id=ticket_id))
    return office_id
