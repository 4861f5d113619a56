"""The shapes of the set-up API: an office, service, counter or user with the fields of a
province file (``docs/province-files.md``), so a script can move between the two."""

from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields

_TEXT = {"type": "string", "nullable": True}
_NUMBER = {"oneOf": [{"type": "integer"}, {"type": "string"}], "nullable": True}


class Entry(fields.Field):
    """A field's value as a form sends it: text (also for numbers and times, so Persian digits
    reach the checks that explain them) or a number; null for an empty field."""

    def __init__(self, number: bool = False, metadata: dict[str, Any] | None = None) -> None:
        super().__init__(
            allow_none=True,
            load_default=None,
            metadata={**(_NUMBER if number else _TEXT), **(metadata or {})},
        )
        self.number = number

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, str) or (self.number and type(value) is int):
            return value
        raise ValidationError("a text" if not self.number else "a whole number or a text")


class _Form(Schema):
    class Meta:
        unknown = EXCLUDE


class OfficeForm(_Form):
    name_fa = Entry(metadata={"description": "the Persian name"})
    name_en = Entry()
    timezone = Entry(metadata={"description": "an IANA time zone; `Asia/Tehran` if left out"})
    routing_policy = Entry(metadata={"description": "`tiered` (the default) or `fifo`"})


class ServiceForm(_Form):
    letter = Entry(metadata={"description": "one or two letters A–Z, unique in the office"})
    group = Entry()
    name_fa = Entry()
    name_en = Entry()
    target_wait_seconds = Entry(number=True)
    daily_cap = Entry(number=True, metadata={"description": "none: the server's default cap"})
    opens_at = Entry(metadata={"description": "local `HH:MM`; none: whenever the office issues"})
    closes_at = Entry()
    active = fields.Boolean(load_default=True)


class Tier(Schema):
    service = fields.String(required=True)
    tier = fields.Integer(load_default=1, metadata={"description": "1 is primary"})


class CounterForm(_Form):
    name = Entry(metadata={"description": "the Persian name, e.g. «باجه ۳»"})
    name_en = Entry(metadata={"description": "`Counter N` if left out"})
    services = fields.List(fields.Nested(Tier), load_default=list)


class UserForm(_Form):
    full_name = Entry()
    role = Entry(metadata={"description": "`clerk`, `manager` or (administrators only) `admin`"})
    region = fields.List(
        fields.String(),
        load_default=list,
        metadata={"description": "a manager's other offices (a regional manager)"},
    )
    active = fields.Boolean(load_default=True)


class TierOut(Schema):
    service = fields.String()
    tier = fields.Integer()


class OfficeOut(Schema):
    code = fields.String()
    name_fa = fields.String()
    name_en = fields.String()
    timezone = fields.String()
    routing_policy = fields.String()


class ServiceSetupOut(Schema):
    office = fields.String()
    code = fields.String()
    letter = fields.String()
    group = fields.String()
    name_fa = fields.String()
    name_en = fields.String()
    target_wait_seconds = fields.Integer()
    daily_cap = fields.Integer(allow_none=True)
    opens_at = fields.String(allow_none=True, metadata={"description": "local `HH:MM`"})
    closes_at = fields.String(allow_none=True)
    active = fields.Boolean()


class CounterSetupOut(Schema):
    office = fields.String()
    number = fields.Integer()
    name = fields.String()
    name_en = fields.String()
    services = fields.List(fields.Nested(TierOut))


class UserOut(Schema):
    username = fields.String()
    full_name = fields.String()
    role = fields.String()
    offices = fields.List(
        fields.String(), metadata={"description": "their own office first, then their region"}
    )
    active = fields.Boolean()


class SetupOut(Schema):
    office = fields.Nested(OfficeOut)
    services = fields.List(fields.Nested(ServiceSetupOut))
    counters = fields.List(fields.Nested(CounterSetupOut))
    users = fields.List(fields.Nested(UserOut))


def saved(record: type[Schema], **more: fields.Field) -> type[Schema]:
    """The answer to a save: the record as stored, and what changed."""
    return Schema.from_dict(
        {
            "record": fields.Nested(record),
            "created": fields.Boolean(),
            "changed": fields.List(
                fields.String(), metadata={"description": "the fields this save changed"}
            ),
            **more,
        },
        name=f"{record.__name__.removesuffix('Out')}Saved",
    )


NEW_PASSWORD = fields.String(
    allow_none=True,
    metadata={"description": "a new user's password, shown only now; only its hash is kept"},
)
