"""Short verbs for engine tests: each commits, like a request would."""

from __future__ import annotations

from sqlalchemy.orm import Session

from server import engine
from server.engine import Action, Actor
from server.models import Office, Ticket
from tests.conftest import FRESH

#: What a clerk does to a ticket through ``engine.act``.
CLERK_ACTIONS = (
    Action.RECALL,
    Action.START,
    Action.PARK,
    Action.COMPLETE,
    Action.NO_SHOW,
    Action.CANCEL,
)


def issue(session: Session, office: Office, service: str, priority: bool = False) -> Ticket:
    ticket = engine.issue(session, office, service, priority=priority, settings=FRESH).ticket
    session.commit()
    return ticket


def call(session: Session, counter_id: int, clerk: int | None = None) -> Ticket | None:
    ticket = engine.call_next(session, counter_id, actor=Actor(user_id=clerk), settings=FRESH)
    session.commit()
    return ticket


def act(session: Session, ticket: Ticket, action: Action) -> Ticket:
    result = engine.act(session, ticket.id, action)
    session.commit()
    return result
