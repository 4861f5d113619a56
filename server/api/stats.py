"""Managers' statistics: an office's or a region's KPIs as JSON, CSV or XLSX."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask.views import MethodView
from flask_babel import gettext
from flask_smorest import abort
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema
from sqlalchemy import select

from server import stats
from server.api.access import MANAGERS, At, caller
from server.api.blueprint import Blueprint
from server.api.context import office_or_404, reading, session
from server.api.errors import echoed
from server.api.schemas import whole
from server.api.stats_schemas import Report
from server.engine.clock import utcnow
from server.engine.errors import N_
from server.models import Office, Role
from server.stats import exports

blp = Blueprint("stats", __name__, url_prefix="/api/v1", description="Statistics")

OFFICE = "<string(maxlength=32):office>"
FORMAT = "<any(csv, xlsx):format>"
ONLY_MANAGERS = N_("only managers see statistics")
_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_BUSINESS_DATE = validate.Range(min=stats.EARLIEST, max=stats.LATEST)


class StatsQuery(Schema):
    class Meta:
        unknown = EXCLUDE

    first = fields.Date(
        required=True,
        data_key="from",
        validate=_BUSINESS_DATE,
        metadata={"description": "first business date, ISO"},
    )
    last = fields.Date(
        required=True,
        data_key="to",
        validate=_BUSINESS_DATE,
        metadata={
            "description": f"last business date, inclusive: at most {stats.MAX_DAYS} days "
            "from `from`"
        },
    )
    by = fields.String(
        validate=validate.OneOf(stats.GROUPINGS),
        load_default=None,
        metadata={"description": "grouping"},
    )
    lang = fields.String(validate=validate.OneOf(("fa", "en")), load_default="fa")

    @validates_schema
    def _range(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if data["last"] < data["first"]:
            raise ValidationError(gettext("'to' comes before 'from'"), "to")
        if (data["last"] - data["first"]).days + 1 > stats.MAX_DAYS:
            raise ValidationError(
                gettext("at most %(days)s days at a time", days=stats.MAX_DAYS), "to"
            )


class RegionalQuery(StatsQuery):
    offices = fields.String(
        validate=[
            validate.Length(min=1, max=20000),
            whole("[a-z0-9_, -]+", error="office codes separated by commas, e.g. amol,sari"),
        ],
        load_default=None,
        metadata={"description": "office codes a,b,c (default: every office the caller sees)"},
    )


def _office_scope(query: dict[str, Any], office: str) -> stats.Scope:
    found = office_or_404(office)
    return stats.Scope(
        [stats.OfficeInScope(found.id, found.code, found.name_fa, found.name_en, found.timezone)],
        stats.DateRange(query["first"], query["last"]),
    )


def _regional_scope(query: dict[str, Any]) -> stats.Scope:
    principal = caller()
    chosen = select(Office).order_by(Office.code)
    if query["offices"] is not None:
        codes = {c.strip() for c in query["offices"].split(",") if c.strip()}
        chosen = chosen.where(Office.code.in_(codes))
    elif principal.role is not Role.ADMIN:
        chosen = chosen.where(Office.id.in_({principal.office_id, *principal.offices}))
    found = list(session().scalars(chosen))
    if query["offices"] is not None and len(found) != len(codes):
        missing = sorted(codes - {o.code for o in found})
        abort(404, message=gettext("no office %(code)s", code=echoed(", ".join(missing))))
    if not all(principal.belongs_to(o.id) for o in found):
        abort(403, message=gettext("this caller belongs to another office"))
    return stats.Scope(
        [stats.OfficeInScope(o.id, o.code, o.name_fa, o.name_en, o.timezone) for o in found],
        stats.DateRange(query["first"], query["last"]),
    )


def _file(scope: stats.Scope, query: dict[str, Any], format: str) -> Response:
    english = query["lang"] == "en"
    with reading() as reader:
        found = stats.report(reader, scope, query["by"], utcnow())
    rows = exports.table(found, query["by"], english)
    body = exports.as_csv(rows) if format == "csv" else exports.as_xlsx(rows, english)
    name = f"stats-{query['first']}-{query['last']}.{format}"
    return Response(
        body,
        mimetype=_TYPES[format],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@blp.route(f"/offices/{OFFICE}/stats")
class OfficeStats(MethodView):
    @blp.allow(MANAGERS, At.OFFICE, ONLY_MANAGERS)
    @blp.arguments(StatsQuery(), location="query")
    @blp.response(200, Report)
    def get(self, query: dict[str, Any], office: str) -> dict[str, Any]:
        """An office's KPIs over business dates: totals, and groups when ``by`` is given."""
        scope = _office_scope(query, office)
        with reading() as reader:
            return stats.report(reader, scope, query["by"], utcnow())


@blp.route(f"/offices/{OFFICE}/stats.{FORMAT}")
class OfficeStatsFile(MethodView):
    @blp.allow(MANAGERS, At.OFFICE, ONLY_MANAGERS)
    @blp.arguments(StatsQuery(), location="query")
    @blp.response(200)
    def get(self, query: dict[str, Any], office: str, format: str) -> Response:
        """The same statistics as a CSV or XLSX file (Persian headers; ``lang=en`` English)."""
        return _file(_office_scope(query, office), query, format)


@blp.route("/stats")
class RegionalStats(MethodView):
    @blp.allow(MANAGERS, At.OWN_SCOPE, ONLY_MANAGERS)
    @blp.refusal(404, "no office with one of the codes in `offices`")
    @blp.arguments(RegionalQuery(), location="query")
    @blp.response(200, Report)
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """KPIs over several offices: those named, or every office the caller oversees."""
        scope = _regional_scope(query)
        with reading() as reader:
            return stats.report(reader, scope, query["by"], utcnow())


@blp.route(f"/stats.{FORMAT}")
class RegionalStatsFile(MethodView):
    @blp.allow(MANAGERS, At.OWN_SCOPE, ONLY_MANAGERS)
    @blp.refusal(404, "no office with one of the codes in `offices`")
    @blp.arguments(RegionalQuery(), location="query")
    @blp.response(200)
    def get(self, query: dict[str, Any], format: str) -> Response:
        """The regional statistics as a CSV or XLSX file."""
        return _file(_regional_scope(query), query, format)
