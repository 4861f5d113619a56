"""Print jobs: a kiosk follows its tickets' printing; staff see faults and reprint."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_babel import gettext
from flask_smorest import abort
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from server import printing
from server.api.access import STAFF, At, Who, caller
from server.api.blueprint import Blueprint
from server.api.context import office_or_404, session
from server.api.schemas import PrintJobOut
from server.auth import Caller
from server.engine import reprints
from server.engine_settings import engine_settings
from server.models import PrintJob, PrintState

blp = Blueprint("printing", __name__, url_prefix="/api/v1", description="Printing")

JOB = "<id:job>"
TICKET = "<id:ticket>"


class JobFilter(Schema):
    state = fields.String(validate=validate.OneOf([s.value for s in PrintState]))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


@blp.route(f"/print-jobs/{JOB}")
class Job(MethodView):
    @blp.allow(STAFF | {Who.KIOSK}, At.PRINT_JOB)
    @blp.response(200, PrintJobOut)
    def get(self, job: int) -> dict[str, Any]:
        """A print job's state: for the kiosk that issued it and the office's staff."""
        found, principal = session().get(PrintJob, job), caller()
        if principal.caller is Caller.KIOSK and principal.token_id != found.kiosk_token_id:
            abort(403, message=gettext("this print job belongs to another kiosk"))
        return printing.job_view(found)


@blp.route("/offices/<string(maxlength=32):office>/print-jobs")
class OfficeJobs(MethodView):
    @blp.allow(STAFF, At.OFFICE)
    @blp.arguments(JobFilter(), location="query")
    @blp.response(200, PrintJobOut(many=True))
    def get(self, query: dict[str, Any], office: str) -> list[dict[str, Any]]:
        """The office's recent print jobs, newest first (``?state=failed`` for the faults)."""
        found = office_or_404(office)
        statement = select(PrintJob).where(PrintJob.office_id == found.id)
        if "state" in query:
            statement = statement.where(PrintJob.state == PrintState(query["state"]))
        jobs = session().scalars(
            statement.order_by(PrintJob.created_at.desc(), PrintJob.id.desc()).limit(query["limit"])
        )
        return [printing.job_view(job) for job in jobs]


@blp.route(f"/tickets/{TICKET}/reprint")
class Reprint(MethodView):
    @blp.allow(STAFF, At.TICKET)
    @blp.refusal(409, "the ticket was not issued at a kiosk with a printer")
    @blp.response(201, PrintJobOut)
    def post(self, ticket: int) -> dict[str, Any]:
        """Print a ticket again on the printer of the kiosk that issued it: while it waits or
        is called, a few times at most (409 ``reprint_refused`` otherwise)."""
        principal = caller()
        last = session().scalar(
            select(PrintJob).where(PrintJob.ticket_id == ticket).order_by(PrintJob.id.desc())
        )
        if last is None:
            abort(409, message=gettext("this ticket was not issued at a kiosk with a printer"))
        again = reprints.reprint(
            session(), ticket, limit=engine_settings().reprint_limit, actor=principal.actor
        )
        order = printing.create_job(
            session(),
            again,
            last.kiosk_token_id,
            last.printer,
            last.language,
        )
        session().commit()
        printing.dispatch(order)
        return printing.job_view(order.job)
