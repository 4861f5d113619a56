"""Counter commands: call next, open, pause, close."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response
from flask.views import MethodView
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from server import engine
from server.api import present
from server.api.blueprint import Blueprint
from server.api.context import counter_office_or_404, session, settings
from server.api.schemas import CounterOut, TicketOut
from server.auth import Caller, require
from server.engine import CounterFacts
from server.models import Counter, CounterService, User

blp = Blueprint("counters", __name__, url_prefix="/api/v1/counters", description="Counters")

COUNTER = "<id:counter>"


@blp.route(f"/{COUNTER}/next")
class Next(MethodView):
    @blp.response(200, TicketOut)
    @blp.alt_response(204, description="nothing waits for this counter")
    def post(self, counter: int) -> dict[str, Any] | Response:
        """Finish the current ticket as served and call the next one for this counter."""
        principal = require(session(), counter_office_or_404(counter), Caller.STAFF)
        ticket = engine.call_next(session(), counter, actor=principal.actor, settings=settings())
        payload = present.ticket(engine.Issued(ticket)) if ticket else None
        session().commit()
        if payload is not None:
            return payload
        nothing = Response(status=204)
        del nothing.headers["Content-Type"]
        return nothing


def _counter_command(command: Callable[..., CounterFacts], doc: str) -> type[MethodView]:
    """A POST that applies ``command`` to the counter and answers with the counter."""

    class CounterCommand(MethodView):
        @blp.response(200, CounterOut)
        def post(self, counter: int) -> dict[str, Any]:
            principal = require(session(), counter_office_or_404(counter), Caller.STAFF)
            command(session(), counter, actor=principal.actor)
            session().commit()
            return present.counter(_listed(counter))

    CounterCommand.post.__doc__ = doc
    return CounterCommand


def _listed(counter_id: int) -> tuple[Counter, str | None]:
    """The counter as the listing shows it: state, clerk and services by tier."""
    return (
        session()
        .execute(
            select(Counter, User.username)
            .outerjoin(User, User.id == Counter.clerk_id)
            .where(Counter.id == counter_id)
            .options(selectinload(Counter.links).selectinload(CounterService.service))
            .execution_options(populate_existing=True)
        )
        .one()
    )


for _name, _command, _doc in (
    ("open", engine.open_counter, "Open the counter for the calling clerk."),
    ("pause", engine.pause_counter, "Stop calling new tickets for a while."),
    ("close", engine.close_counter, "Close the counter (its current ticket must be finished)."),
):
    blp.route(f"/{COUNTER}/{_name}", endpoint=_name)(_counter_command(_command, _doc))
