"""Ticket commands of the clerk: recall, start, park, resume, complete, no-show, cancel,
transfer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask.views import MethodView

from server import engine
from server.api import present
from server.api.access import STAFF, At, Who
from server.api.blueprint import Blueprint
from server.api.context import session, ticket_actor
from server.api.schemas import TicketOut, Transfer
from server.engine import Action, TicketFacts
from server.engine_settings import engine_settings

blp = Blueprint("tickets", __name__, url_prefix="/api/v1/tickets", description="Tickets")

TICKET = "<id:ticket>"
#: Staff of the ticket's office, and a device at the ticket's counter.
AT_TICKET = STAFF | {Who.COUNTER}
#: Why a ticket command may be refused as a conflict.
REFUSED = (
    "the ticket's status does not allow this, or it changed meanwhile; or a counter "
    "device acts at a counter no clerk holds"
)


TicketCommand = Callable[..., TicketFacts]


def _action(action: Action) -> TicketCommand:
    return lambda s, ticket_id, actor: engine.act(s, ticket_id, action, actor=actor)


def _command_view(command: TicketCommand, doc: str) -> type[MethodView]:
    class TicketAction(MethodView):
        @blp.allow(AT_TICKET, At.TICKET)
        @blp.refusal(409, REFUSED)
        @blp.response(200, TicketOut)
        def post(self, ticket: int) -> dict[str, Any]:
            changed = command(session(), ticket, actor=ticket_actor(ticket))
            payload = present.ticket(engine.where_it_stands(session(), changed, engine_settings()))
            session().commit()
            return payload

    TicketAction.post.__doc__ = doc
    return TicketAction


for _path, _command, _doc in (
    ("recall", _action(Action.RECALL), "Announce a called ticket again."),
    ("start", _action(Action.START), "The citizen has arrived at the counter: service starts."),
    (
        "park",
        _action(Action.PARK),
        "Set the ticket aside at its counter while the citizen fetches a document.",
    ),
    ("resume", engine.resume, "Serve a parked ticket again at its counter: the citizen is back."),
    ("complete", _action(Action.COMPLETE), "Service is done."),
    (
        "no-show",
        _action(Action.NO_SHOW),
        "The called citizen did not come (or a parked one never came back).",
    ),
    ("cancel", _action(Action.CANCEL), "Withdraw a waiting ticket (a citizen who left)."),
):
    blp.route(f"/{TICKET}/{_path}", endpoint=_path)(_command_view(_command, _doc))


@blp.route(f"/{TICKET}/transfer")
class TransferTicket(MethodView):
    @blp.allow(AT_TICKET, At.TICKET)
    @blp.refusal(404, "no ticket with this id, or its office has no such service")
    @blp.refusal(409, f"{REFUSED}; or the service is the ticket's own, or not open now")
    @blp.arguments(Transfer())
    @blp.response(200, TicketOut)
    def post(self, body: dict[str, Any], ticket: int) -> dict[str, Any]:
        """Send the citizen to another service; the new ticket keeps their place."""
        new = engine.transfer(session(), ticket, body["service"], actor=ticket_actor(ticket))
        payload = present.ticket(engine.where_it_stands(session(), new, engine_settings()))
        session().commit()
        return payload
