"""Request and response schemas: what the API accepts and returns, and its OpenAPI document."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext
from marshmallow import (
    EXCLUDE,
    Schema,
    ValidationError,
    fields,
    pre_load,
    validate,
    validates_schema,
)

from server.models import PAUSE_REASONS, PRIORITY_REASONS, CounterState, TicketStatus

# A pattern of the whole string that reads the same in Python and in the OpenAPI
# document's JavaScript clients: Python's \Z is a letter Z to ECMAScript, and "$" lets a
# final newline through in Python. "Not followed by anything" means the end in both.
_WHOLE = r"^%s(?![\s\S])"


def whole(pattern: str, error: str | None = None) -> validate.Regexp:
    """A validator that the whole value matches ``pattern``, as Python and OpenAPI read it."""
    return validate.Regexp(_WHOLE % pattern, error=error)


SERVICE_CODE = fields.String(
    required=True,
    validate=[validate.Length(min=1, max=32), whole("[a-z0-9_-]+")],
    metadata={"description": "a service code of the office, e.g. `civil-registration`"},
)


class StrictBoolean(fields.Boolean):
    """JSON true or false only (marshmallow would also take "yes", "on", 1...)."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class IssueTicket(Schema):
    service = SERVICE_CODE
    priority = StrictBoolean(load_default=False)
    priority_reason = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf(PRIORITY_REASONS),
        metadata={"description": "why the citizen has priority; a clerk verifies it"},
    )
    language = fields.String(
        load_default="fa",
        validate=validate.OneOf(("fa", "en")),
        metadata={"description": "the language the citizen chose; the ticket prints in it"},
    )


class PrintJobOut(Schema):
    id = fields.Integer()
    ticket = fields.Integer()
    state = fields.String(metadata={"description": "pending, printed, failed or stale"})
    reason = fields.String(
        allow_none=True,
        metadata={
            "description": "why not printed: paper_out, offline, timeout, "
            "agent_not_connected, stale, …"
        },
    )
    message = fields.String(allow_none=True)
    printer = fields.String()
    attempts = fields.Integer()
    created_at = fields.String()
    updated_at = fields.String()
    preview = fields.String(allow_none=True)


def _idempotency_key(description: str) -> fields.String:
    return fields.String(
        data_key="Idempotency-Key",
        load_default=None,
        # A header is absent or a string: never null, as the OpenAPI document then says.
        allow_none=False,
        validate=[validate.Length(min=8, max=64), whole("[A-Za-z0-9_-]+")],
        metadata={"description": description},
    )


class IssueHeaders(Schema):
    class Meta:
        unknown = EXCLUDE

    idempotency_key = _idempotency_key(
        "a random key per ticket request, unique within the office: a "
        "retry with the same key (after a lost answer) gets the same ticket (201, same "
        "body), never a second one. The key stands for one request: the same service, "
        "`priority` and `priority_reason`, from the same caller (the same device token, or "
        "the same staff user). Sent with any other request, or by another caller, it is "
        "refused with 409 `idempotency_key_reused`; make a new key for a new request"
    )


class CallHeaders(Schema):
    class Meta:
        unknown = EXCLUDE

    idempotency_key = _idempotency_key(
        "a random key per press of *call next*, unique at the counter: a retry with the "
        "same key (after a lost answer) gets the ticket that call took (200, that ticket), "
        "never a second call. From another clerk it is refused with 409 "
        "`idempotency_key_reused`"
    )


_CURRENT = fields.Integer(
    strict=True,
    allow_none=True,
    validate=validate.Range(min=1, max=2**31 - 1),
    metadata={
        "description": "the id of the ticket the caller believes is at the counter (null: "
        "none). When the counter has another (a second window, a keypad, a double press), "
        "nothing is done: 409 `changed_meanwhile`. Left out, the current ticket is finished "
        "whatever it is"
    },
)


class NextCall(Schema):
    current = _CURRENT


class CallByNumber(Schema):
    number = fields.String(
        required=True,
        validate=validate.Length(min=1, max=16),
        metadata={"description": "a ticket number of today as the clerk types it: `B-007`, `b7`"},
    )
    current = _CURRENT


class Pause(Schema):
    reason = fields.String(
        load_default="break",
        validate=validate.OneOf(PAUSE_REASONS),
        metadata={"description": "why: " + ", ".join(PAUSE_REASONS)},
    )


class TicketLookup(Schema):
    number = fields.String(
        required=True,
        validate=validate.Length(min=1, max=16),
        metadata={"description": "a ticket number of today, e.g. `B-007`"},
    )


class Transfer(Schema):
    service = SERVICE_CODE


def _number_bound(description: str, key: str) -> fields.Integer:
    return fields.Integer(
        strict=True,
        data_key=key,
        load_default=None,
        validate=validate.Range(min=1, max=2**31 - 1),
        metadata={"description": description},
    )


class BulkCancel(Schema):
    service = SERVICE_CODE
    first = _number_bound("the first number of the range: 5 for `B-005`", "from")
    last = _number_bound("the last number of the range, inclusive", "to")
    all = StrictBoolean(
        load_default=False,
        metadata={"description": "true: every waiting ticket of the service (instead of a range)"},
    )

    @validates_schema
    def _range_or_all(self, data: dict[str, Any], **_kwargs: Any) -> None:
        first, last = data["first"], data["last"]
        if data["all"]:
            if first is not None or last is not None:
                raise ValidationError(gettext("give a range or all, not both"), "all")
            return
        if first is None or last is None:
            raise ValidationError(
                gettext("give the range's first and last number (from, to), or all: true"),
                "from" if first is None else "to",
            )
        if last < first:
            raise ValidationError(gettext("'to' is a smaller number than 'from'"), "to")


class BulkCancelOut(Schema):
    service = fields.String()
    cancelled = fields.Integer(metadata={"description": "how many waiting tickets were cancelled"})
    numbers = fields.List(
        fields.String(), metadata={"description": "the cancelled tickets' numbers, in order"}
    )


class CounterRef(Schema):
    id = fields.Integer()
    number = fields.Integer()
    name = fields.String()
    name_en = fields.String()


class TicketOut(Schema):
    id = fields.Integer()
    number = fields.String(metadata={"example": "B-007"})
    service = fields.String()
    priority = fields.Boolean()
    priority_reason = fields.String(allow_none=True)
    status = fields.Enum(TicketStatus, by_value=True)
    position = fields.Integer(
        allow_none=True, metadata={"description": "1 = next to be called; null unless waiting"}
    )
    people_ahead = fields.Integer(allow_none=True)
    people_ahead_text = fields.String(
        allow_none=True, metadata={"description": "the people ahead, worded in the language asked"}
    )
    eta_seconds = fields.Integer(allow_none=True)
    eta_range = fields.List(
        fields.Integer(),
        allow_none=True,
        metadata={"description": "[low, high] seconds; null when no open counter serves it"},
    )
    eta_text = fields.String(
        allow_none=True,
        metadata={"description": "the wait as every screen and the printed ticket word it"},
    )
    issued_at = fields.DateTime()
    called_at = fields.DateTime(allow_none=True)
    started_at = fields.DateTime(allow_none=True)
    finished_at = fields.DateTime(allow_none=True)
    counter = fields.Nested(CounterRef, allow_none=True)
    recall_count = fields.Integer()
    transferred_from = fields.Integer(allow_none=True)
    status_url = fields.String()
    print = fields.Nested(
        PrintJobOut,
        allow_none=True,
        metadata={"description": "the ticket's print job, when a kiosk with a printer issued it"},
    )


class ServiceOut(Schema):
    code = fields.String()
    letter = fields.String()
    name_fa = fields.String()
    name_en = fields.String()
    group = fields.String()
    target_wait_seconds = fields.Integer()
    active = fields.Boolean()
    opens_at = fields.Time(allow_none=True, metadata={"description": "local time"})
    closes_at = fields.Time(allow_none=True, metadata={"description": "local time"})
    daily_cap = fields.Integer(allow_none=True)
    available = fields.Boolean(metadata={"description": "issues tickets right now"})
    unavailable_reason = fields.String(
        allow_none=True,
        metadata={"description": "inactive, before_hours, after_hours or daily_cap"},
    )


class CounterServiceOut(Schema):
    service = fields.String()
    tier = fields.Integer()


class CounterOut(Schema):
    id = fields.Integer()
    number = fields.Integer()
    name = fields.String()
    name_en = fields.String()
    state = fields.Enum(CounterState, by_value=True)
    clerk = fields.String(allow_none=True, metadata={"description": "who holds it (opened it)"})
    pause_reason = fields.String(
        allow_none=True, metadata={"description": "while paused: " + ", ".join(PAUSE_REASONS)}
    )
    services = fields.List(fields.Nested(CounterServiceOut))


class CounterQueue(Schema):
    code = fields.String()
    letter = fields.String()
    name_fa = fields.String()
    name_en = fields.String()
    tier = fields.Integer(metadata={"description": "1 = primary"})
    waiting = fields.Integer()
    oldest_queued_at = fields.DateTime(allow_none=True)
    longest_wait_seconds = fields.Integer(
        allow_none=True, metadata={"description": "how long the first in line has waited"}
    )


class ClerkDay(Schema):
    served = fields.Integer()
    no_show = fields.Integer()


class CounterViewOut(Schema):
    counter = fields.Nested(CounterOut)
    current = fields.Nested(
        TicketOut, allow_none=True, metadata={"description": "the citizen at the counter"}
    )
    current_transferred_from = fields.String(
        allow_none=True, metadata={"description": "the number the current ticket came from"}
    )
    queues = fields.List(
        fields.Nested(CounterQueue),
        metadata={"description": "what waits for this counter, each service in tier order"},
    )
    next = fields.Nested(
        TicketOut, allow_none=True, metadata={"description": "what *call next* would take now"}
    )
    parked = fields.List(fields.Nested(TicketOut))
    today = fields.Nested(ClerkDay, metadata={"description": "the calling clerk's day so far"})
    at = fields.DateTime()


class QueueService(ServiceOut):
    waiting = fields.Integer()
    oldest_queued_at = fields.DateTime(
        allow_none=True, metadata={"description": "when the first in line began to wait"}
    )
    eta_seconds = fields.Integer(allow_none=True)
    eta_range = fields.List(fields.Integer(), allow_none=True)
    eta_text = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        metadata={"description": "a new ticket's wait, worded, by language (fa, en)"},
    )


class BoardTicket(Schema):
    id = fields.Integer()
    number = fields.String()
    service = fields.String()
    status = fields.String()
    priority = fields.Boolean()
    counter = fields.Integer(allow_none=True)
    counter_name = fields.String(allow_none=True)
    counter_name_en = fields.String(allow_none=True)
    recall_count = fields.Integer()
    called_at = fields.DateTime(allow_none=True)


class BoardCounter(Schema):
    id = fields.Integer()
    number = fields.Integer()
    name = fields.String()
    name_en = fields.String()
    state = fields.String()
    ticket = fields.Nested(BoardTicket, allow_none=True)


class QueueOut(Schema):
    office = fields.String()
    seq = fields.Integer(metadata={"description": "the office's live event sequence number"})
    at = fields.DateTime()
    services = fields.List(fields.Nested(QueueService))
    counters = fields.List(fields.Nested(BoardCounter))
    recent_calls = fields.List(fields.Nested(BoardTicket))


class Health(Schema):
    status = fields.String()


class Error(Schema):
    class Body(Schema):
        code = fields.String()
        message = fields.String()
        details = fields.Raw()

    error = fields.Nested(Body)


class DeviceClaim(Schema):
    code = fields.String(
        required=True,
        validate=[validate.Length(min=16, max=64), whole("[A-Za-z0-9_-]+")],
        metadata={"description": "the one-time code from the link's `#link=` fragment"},
    )


class DeviceClaimOut(Schema):
    token = fields.String(metadata={"description": "the device's bearer token, shown only now"})
    kind = fields.String(metadata={"description": "kiosk, display or counter"})
    office = fields.String(metadata={"description": "the office code the token is bound to"})


PAIRING_SECRET = fields.String(
    required=True,
    validate=[validate.Length(min=32, max=128), whole("[A-Za-z0-9_-]+")],
    metadata={"description": "the random secret the page made and keeps (base64url, 32+)"},
)


class PairingRequest(Schema):
    office = fields.String(
        required=True,
        validate=[validate.Length(min=1, max=32), whole("[a-z0-9_-]+")],
        metadata={"description": "the office code of the page (`/kiosk/<office>`)"},
    )
    kind = fields.String(required=True, validate=validate.OneOf(["kiosk", "display"]))
    secret = PAIRING_SECRET


class PairingRequestOut(Schema):
    code = fields.String(metadata={"description": "six digits to show on the screen"})
    expires_at = fields.DateTime()
    poll_seconds = fields.Integer(metadata={"description": "how often to poll"})


class PairingPoll(Schema):
    secret = PAIRING_SECRET


class PairingPollOut(Schema):
    state = fields.String(metadata={"description": "`waiting`, or `paired` (once, with the token)"})
    expires_at = fields.DateTime()
    token = fields.String(metadata={"description": "the device's bearer token, when paired"})
    kind = fields.String()
    office = fields.String()


class PairingApproval(Schema):
    code = fields.String(
        required=True,
        validate=whole("[0-9]{6}", error="the code has six digits"),
        metadata={"description": "the code shown on the device's screen (ASCII or Persian digits)"},
    )
    kind = fields.String(required=True, validate=validate.OneOf(["kiosk", "display"]))
    name = fields.String(
        required=True,
        validate=validate.Length(min=1, max=100),
        metadata={"description": "a name that says where the device is, e.g. `entrance`"},
    )

    @pre_load
    def _plain_digits(self, data: Any, **_kwargs: Any) -> Any:
        """A manager types the code as the screen shows it: Persian digits, maybe spaced."""
        if isinstance(data, dict) and isinstance(data.get("code"), str):
            code = data["code"].translate(_LATIN_DIGITS)
            data = {**data, "code": "".join(code.split())}
        if isinstance(data, dict) and isinstance(data.get("name"), str):
            data = {**data, "name": data["name"].strip()}
        return data


_LATIN_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")


class PrinterStateOut(Schema):
    printer = fields.String(metadata={"description": "where its tickets print"})
    agent_alive = fields.Boolean(allow_none=True)
    agent_seen_at = fields.DateTime(allow_none=True)
    last_job_state = fields.String(allow_none=True)
    last_job_reason = fields.String(allow_none=True)
    last_job_at = fields.DateTime(allow_none=True)


class DeviceOut(Schema):
    id = fields.Integer()
    name = fields.String()
    kind = fields.String(metadata={"description": "kiosk, display or counter"})
    counter = fields.Integer(
        allow_none=True, metadata={"description": "a counter device's counter id"}
    )
    created_at = fields.DateTime()
    last_seen_at = fields.DateTime(allow_none=True)
    revoked = fields.Boolean()
    printer = fields.Nested(PrinterStateOut, allow_none=True)
