"""Staffing advice for the managers' dashboard: counters needed per hour against those open."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from flask.views import MethodView
from marshmallow import EXCLUDE, fields, validate

from server import staffing
from server.api.access import MANAGERS, At
from server.api.blueprint import Blueprint
from server.api.context import office_or_404, reading
from server.api.stats import OFFICE, ONLY_MANAGERS, StatsQuery
from server.engine.clock import utcnow

blp = Blueprint("staffing", __name__, url_prefix="/api/v1", description="Statistics")


class StaffingQuery(StatsQuery):
    class Meta:
        unknown = EXCLUDE
        exclude = ("by", "lang")

    target_share = fields.Float(
        validate=validate.Range(min=0.5, max=0.99),
        load_default=staffing.DEFAULT_TARGET_SHARE,
        metadata={"description": "share of citizens to call within their service's target wait"},
    )


@blp.route(f"/offices/{OFFICE}/staffing")
class OfficeStaffing(MethodView):
    @blp.allow(MANAGERS, At.OFFICE, ONLY_MANAGERS)
    @blp.arguments(StaffingQuery(), location="query")
    @blp.response(200)
    def get(self, query: dict[str, Any], office: str) -> dict[str, Any]:
        """Per local hour: counters each service needs (Erlang C) and the counters open."""
        found = office_or_404(office)
        first, last, share = query["first"], query["last"], query["target_share"]
        with reading() as reader:
            needs = staffing.hourly_needs(reader, found.id, first, last, share)
            opened = staffing.counters_open(reader, found.id, first, last, utcnow())
        by_hour: dict[int, list[staffing.HourNeed]] = defaultdict(list)
        for need in needs:
            by_hour[need.hour].append(need)
        return {
            "range": {"from": first.isoformat(), "to": last.isoformat()},
            "target_share": share,
            "hours": [
                {
                    "hour": hour,
                    "needed": sum(n.counters for n in by_hour[hour]),
                    "open": round(opened.get(hour, 0.0), 2),
                    "services": [_need(n) for n in by_hour[hour]],
                }
                for hour in sorted(set(by_hour) | set(opened))
            ],
        }


def _need(need: staffing.HourNeed) -> dict[str, Any]:
    return {
        "service": need.service,
        "arrivals_per_hour": round(need.arrivals_per_hour, 2),
        "mean_service_seconds": round(need.mean_service_seconds),
        "target_wait_seconds": need.target_wait_seconds,
        "counters": need.counters,
    }
