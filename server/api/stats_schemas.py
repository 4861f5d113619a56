"""The statistics' answer as the OpenAPI document states it: the names scripts rely on.

A report is ``range``, ``totals`` and, grouped, ``groups`` (each with its ``key``); every
totals or group object has the same KPIs. Times are seconds; null where nothing was
measured.
"""

from __future__ import annotations

from marshmallow import Schema, fields

from server.stats.outcomes import OUTCOMES
from server.stats.times import MEASURES


def _seconds(description: str) -> fields.Float:
    return fields.Float(allow_none=True, metadata={"description": description})


class Summary(Schema):
    count = fields.Integer(metadata={"description": "tickets measured"})
    mean = _seconds("mean, seconds")
    median = _seconds("median, seconds")
    p90 = _seconds("90th percentile, seconds")


class ServiceLevel(Schema):
    on_time = fields.Integer(metadata={"description": "called within the service's target"})
    judged = fields.Integer(metadata={"description": "called, or expired never called"})
    share = fields.Float(allow_none=True)


class CounterTime(Schema):
    open_seconds = fields.Float()
    busy_seconds = fields.Float(metadata={"description": "holding a ticket while open"})
    idle_seconds = fields.Float()
    pause_seconds = fields.Dict(
        keys=fields.String(), values=fields.Float(), metadata={"description": "by reason"}
    )
    utilisation = fields.Float(allow_none=True, metadata={"description": "busy ÷ open"})


Kpis = Schema.from_dict(
    {
        "tickets": fields.Integer(metadata={"description": "tickets of the range, ended or not"}),
        **{name: fields.Integer() for name in OUTCOMES},
        "rates": fields.Dict(
            keys=fields.String(),
            values=fields.Float(allow_none=True),
            metadata={"description": "each outcome's share of the tickets that ended"},
        ),
        "service_level": fields.Nested(ServiceLevel),
        **{measure: fields.Nested(Summary) for measure in MEASURES},
        "counter_time": fields.Nested(
            CounterTime, metadata={"description": "totals and by office, counter, clerk"}
        ),
    },
    name="Kpis",
)


class Group(Kpis):  # type: ignore[misc, valid-type]
    key = fields.Dict(metadata={"description": "what the group is, by grouping"})


Range = Schema.from_dict(
    {
        "from": fields.String(metadata={"description": "first business date, ISO"}),
        "to": fields.String(metadata={"description": "last business date, ISO"}),
        "from_jalali": fields.String(),
        "to_jalali": fields.String(),
        "days": fields.Integer(),
    },
    name="Range",
)


class Report(Schema):
    range = fields.Nested(Range)
    totals = fields.Nested(Kpis)
    groups = fields.List(fields.Nested(Group), metadata={"description": "when by= is given"})
