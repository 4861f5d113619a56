"""Counter commands: the counter's screen, call next, call by number, open, take over,
pause, close."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response
from flask.views import MethodView
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from server import engine
from server.api import present
from server.api.access import STAFF, At, Who
from server.api.blueprint import Blueprint
from server.api.context import counter_actor, session
from server.api.schemas import (
    CallByNumber,
    CallHeaders,
    CounterOut,
    CounterViewOut,
    NextCall,
    TicketOut,
)
from server.api.schemas import Pause as PauseBody
from server.engine import CounterFacts
from server.engine.counter_view import view
from server.engine.facts import office_by_id
from server.engine_settings import engine_settings
from server.models import Counter, CounterService, User

blp = Blueprint("counters", __name__, url_prefix="/api/v1/counters", description="Counters")

COUNTER = "<id:counter>"
#: Clerks, managers and administrators of the office, and a device at the counter.
AT_COUNTER = STAFF | {Who.COUNTER}
#: A counter device acts for the clerk holding its counter: with nobody holding it, no one.
UNHELD = "a counter device acts at a counter no clerk holds"
#: Why a counter command may be refused as a conflict.
REFUSED = (
    "the counter's state does not allow this (another clerk holds it, a citizen is still "
    f"at it, …), or {UNHELD}"
)


@blp.route(f"/{COUNTER}")
class CounterScreen(MethodView):
    @blp.allow(AT_COUNTER, At.COUNTER)
    @blp.refusal(409, UNHELD)
    @blp.response(200, CounterViewOut)
    def get(self, counter: int) -> dict[str, Any]:
        """What the counter's clerk sees: the citizen at it, what waits, parked tickets, the day."""
        _principal, actor = counter_actor(counter)
        seen = view(session(), counter, clerk_id=actor.user_id, settings=engine_settings())
        return present.counter_view(seen, office_by_id(session(), seen.counter.office_id).timezone)


@blp.route(f"/{COUNTER}/next")
class Next(MethodView):
    @blp.allow(AT_COUNTER, At.COUNTER)
    @blp.refusal(
        409,
        f"{REFUSED}; `changed_meanwhile`: the counter's ticket is not `current`; "
        "`idempotency_key_reused`: another clerk's key",
    )
    @blp.arguments(CallHeaders(), location="headers")
    @blp.arguments(NextCall(), required=False)
    @blp.response(200, TicketOut)
    @blp.alt_response(204, description="nothing waits for this counter")
    def post(
        self, headers: dict[str, Any], body: dict[str, Any], counter: int
    ) -> dict[str, Any] | Response:
        """Finish the current ticket as served and call the next one for this counter."""
        _principal, actor = counter_actor(counter)
        ticket = engine.call_next(
            session(),
            counter,
            actor=actor,
            settings=engine_settings(),
            request_key=headers["idempotency_key"],
            expect=body.get("current", engine.UNCHECKED),
        )
        payload = present.ticket(engine.Issued(ticket)) if ticket else None
        session().commit()
        if payload is not None:
            return payload
        nothing = Response(status=204)
        del nothing.headers["Content-Type"]
        return nothing


@blp.route(f"/{COUNTER}/call")
class CallByNumberView(MethodView):
    @blp.allow(AT_COUNTER, At.COUNTER)
    @blp.refusal(404, "no counter with this id, or no ticket with this number today")
    @blp.refusal(
        409,
        f"{REFUSED}; the counter does not serve the ticket's service, or its status does "
        "not allow a call; `changed_meanwhile`: the counter's ticket is not `current`",
    )
    @blp.arguments(CallByNumber())
    @blp.response(200, TicketOut)
    def post(self, body: dict[str, Any], counter: int) -> dict[str, Any]:
        """Call one of today's tickets by its number, out of turn (a no-show is reinstated)."""
        _principal, actor = counter_actor(counter)
        ticket = engine.call_number(
            session(),
            counter,
            body["number"],
            actor=actor,
            expect=body.get("current", engine.UNCHECKED),
        )
        payload = present.ticket(engine.Issued(ticket))
        session().commit()
        return payload


@blp.route(f"/{COUNTER}/pause")
class Pause(MethodView):
    @blp.allow(AT_COUNTER, At.COUNTER)
    @blp.refusal(409, REFUSED)
    @blp.arguments(PauseBody(), required=False)
    @blp.response(200, CounterOut)
    def post(self, body: dict[str, Any], counter: int) -> dict[str, Any]:
        """Stop calling new tickets for a while, saying why (break, prayer, lunch, system)."""
        _principal, actor = counter_actor(counter)
        engine.pause_counter(session(), counter, actor=actor, reason=body["reason"])
        session().commit()
        return present.counter(_listed(counter))


def _counter_command(command: Callable[..., CounterFacts], doc: str) -> type[MethodView]:
    """A POST that applies ``command`` to the counter and answers with the counter."""

    class CounterCommand(MethodView):
        @blp.allow(AT_COUNTER, At.COUNTER)
        @blp.refusal(409, REFUSED)
        @blp.response(200, CounterOut)
        def post(self, counter: int) -> dict[str, Any]:
            _principal, actor = counter_actor(counter)
            command(session(), counter, actor=actor)
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
    ("open", engine.open_counter, "Open the counter for the calling clerk, or resume it."),
    (
        "takeover",
        engine.take_over,
        "Hold the counter from now on, whoever held it (a colleague who left it; logged).",
    ),
    ("close", engine.close_counter, "Close the counter (its citizens must be finished first)."),
):
    blp.route(f"/{COUNTER}/{_name}", endpoint=_name)(_counter_command(_command, _doc))
