"""The audit log over the API: an office's administrative actions, for its managers."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from flask.views import MethodView
from marshmallow import EXCLUDE, Schema, fields, validate

from server import audit
from server.api.access import MANAGERS, At
from server.api.blueprint import Blueprint
from server.api.context import office_or_404, session
from server.engine.clock import utcnow, zone

blp = Blueprint("audit", __name__, url_prefix="/api/v1", description="Audit log")


class AuditQuery(Schema):
    class Meta:
        unknown = EXCLUDE

    first = fields.Date(data_key="from", load_default=None, metadata={"description": "ISO date"})
    last = fields.Date(data_key="to", load_default=None, metadata={"description": "inclusive"})
    action = fields.String(validate=validate.Length(max=64), load_default=None)
    actor = fields.String(validate=validate.Length(max=100), load_default=None)


class AuditEntryOut(Schema):
    at = fields.DateTime()
    actor = fields.String()
    action = fields.String()
    target = fields.String()
    before = fields.Dict(allow_none=True)
    after = fields.Dict(allow_none=True)


def window(timezone: str, first: Any, last: Any) -> tuple[datetime, datetime]:
    """UTC bounds of local dates ``first``–``last`` (default: the last 30 days)."""
    local = zone(timezone)
    today = utcnow().astimezone(local).date()
    last = last or today
    first = first or last - timedelta(days=29)
    start = datetime.combine(first, time(), local).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time(), local).astimezone(UTC)
    return start, end


@blp.route("/offices/<string(maxlength=32):office>/audit")
class OfficeAudit(MethodView):
    @blp.allow(MANAGERS, At.OFFICE, audit.ONLY_MANAGERS)
    @blp.arguments(AuditQuery(), location="query")
    @blp.response(200, AuditEntryOut(many=True))
    def get(self, query: dict[str, Any], office: str) -> list[Any]:
        """Who changed what in the office's set-up, newest first (at most 500)."""
        found = office_or_404(office)
        start, end = window(found.timezone, query["first"], query["last"])
        return list(
            audit.entries(
                session(), found.id, start, end, action=query["action"], actor=query["actor"]
            )
        )
