"""Ticket commands of the clerk: recall, start, complete, no-show, cancel, transfer."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from server import engine
from server.api import present
from server.api.blueprint import Blueprint
from server.api.context import session, settings, ticket_office_or_404
from server.api.schemas import TicketOut, Transfer
from server.auth import Caller, require
from server.engine import Action

blp = Blueprint("tickets", __name__, url_prefix="/api/v1/tickets", description="Tickets")

TICKET = "<id:ticket>"


def _act(ticket_id: int, action: Action) -> dict[str, Any]:
    principal = require(session(), ticket_office_or_404(ticket_id), Caller.STAFF)
    changed = engine.act(session(), ticket_id, action, actor=principal.actor)
    payload = present.ticket(engine.where_it_stands(session(), changed, settings()))
    session().commit()
    return payload


def _action_view(action: Action, doc: str) -> type[MethodView]:
    class TicketAction(MethodView):
        @blp.response(200, TicketOut)
        def post(self, ticket: int) -> dict[str, Any]:
            return _act(ticket, action)

    TicketAction.post.__doc__ = doc
    return TicketAction


for _path, _action, _doc in (
    ("recall", Action.RECALL, "Announce a called ticket again."),
    ("start", Action.START, "The citizen has arrived at the counter: service starts."),
    ("complete", Action.COMPLETE, "Service is done."),
    ("no-show", Action.NO_SHOW, "The called citizen did not come."),
    ("cancel", Action.CANCEL, "Withdraw a waiting ticket."),
):
    blp.route(f"/{TICKET}/{_path}", endpoint=_path)(_action_view(_action, _doc))


@blp.route(f"/{TICKET}/transfer")
class TransferTicket(MethodView):
    @blp.arguments(Transfer())
    @blp.response(200, TicketOut)
    def post(self, body: dict[str, Any], ticket: int) -> dict[str, Any]:
        """Send the citizen to another service; the new ticket keeps their place."""
        principal = require(session(), ticket_office_or_404(ticket), Caller.STAFF)
        new = engine.transfer(session(), ticket, body["service"], actor=principal.actor)
        payload = present.ticket(engine.where_it_stands(session(), new, settings()))
        session().commit()
        return payload
