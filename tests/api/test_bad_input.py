"""Bad input is refused with the exact 4xx, its error code and a message: never a 500.

Every request here is refused, so they all share one ``world`` per database.
"""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import quote

import pytest
from werkzeug.test import TestResponse

from server.models import TicketStatus
from tests.api.conftest import World
from tests.api.helpers import COUNTER_COMMANDS, TICKET_ACTIONS, assert_error, send

LIMIT = 64 * 1024  # MAX_CONTENT_LENGTH


def raw(data: str | bytes, content_type: str = "application/json") -> dict[str, Any]:
    return {"data": data, "content_type": content_type}


def body(value: Any) -> dict[str, Any]:
    return {"json": value}


# --- the request bodies -----------------------------------------------------------------


def case(
    name: str,
    request: dict[str, Any],
    status: int,
    code: str,
    field: str | None = None,
    marks: Any = (),
) -> Any:
    """A row: the request's body, the answer's status and code, the key named in details."""
    return pytest.param(request, status, code, field, id=name, marks=marks)


def service(name: str, value: Any) -> Any:
    """A service code the schema refuses (a string of 1-32 of [a-z0-9_-])."""
    return case(f"service {name}", body({"service": value}), 422, "invalid", "service")


def priority(name: str, value: Any) -> Any:
    request = body({"service": "civil", "priority": value})
    return case(f"priority {name}", request, 422, "invalid", "priority")


def reason(name: str, value: Any) -> Any:
    request = body({"service": "civil", "priority": True, "priority_reason": value})
    return case(f"priority_reason {name}", request, 422, "invalid", "priority_reason")


#: Shared by issue and transfer.
BODY_SHAPES = [
    case("malformed JSON", raw("{"), 400, "bad_request"),
    case("truncated JSON", raw('{"service": "civil"'), 400, "bad_request"),
    case("trailing garbage", raw('{"service": "nope"} x'), 400, "bad_request"),
    case("single quotes", raw("{'service': 'civil'}"), 400, "bad_request"),
    case("not UTF-8", raw(b"\xff\xfe\xfd"), 400, "bad_request"),
    case("empty JSON array", raw("[]"), 422, "invalid", "_schema"),
    case("array of objects", raw('[{"service": "civil"}]'), 422, "invalid", "_schema"),
    case("JSON string", raw('"civil"'), 422, "invalid", "_schema"),
    case("JSON number", raw("42"), 422, "invalid", "_schema"),
    case("JSON true", raw("true"), 422, "invalid", "_schema"),
    case("JSON null", raw("null"), 422, "invalid"),
    case("empty body", raw(""), 422, "invalid", "service"),
    case("no body no content type", {}, 422, "invalid", "service"),
    case("empty object", body({}), 422, "invalid", "service"),
    service("int", 1),
    service("float", 1.5),
    service("list", ["civil"]),
    service("null", None),
    service("bool", True),
    service("object", {"code": "civil"}),
    service("empty", ""),
    service("33 chars", "a" * 33),
    service("10 kB", "a" * 10 * 1024),
    service("inner space", "civil registration"),
    service("leading space", " civil"),
    service("trailing space", "civil "),
    service("leading newline", "\ncivil"),
    service("trailing newline", "civil\n"),
    service("tab", "civil\t"),
    service("NUL", "civil\x00"),
    service("Persian letters", "ثبت-احوال"),
    service("Persian digits", "۱۲۳"),
    service("upper case", "CIVIL"),
    service("SQL-ish", "civil'; drop table tickets; --"),
    service("path", "../civil"),
    service("percent", "civil%"),
    service("emoji", "civil🙂"),
]

ISSUE_ONLY = [
    case("missing service", body({"priority": True}), 422, "invalid", "service"),
    case("unknown field", body({"service": "civil", "colour": "red"}), 422, "invalid", "colour"),
    case(
        "unknown field by case",
        body({"service": "civil", "Service": "civil"}),
        422,
        "invalid",
        "Service",
    ),
    case(
        "read-only field", body({"service": "civil", "status": "called"}), 422, "invalid", "status"
    ),
    priority("'true'", "true"),
    priority("'false'", "false"),
    priority("'yes'", "yes"),
    priority("'on'", "on"),
    priority("'1'", "1"),
    priority("1", 1),
    priority("0", 0),
    priority("1.0", 1.0),
    priority("2", 2),
    priority("null", None),
    priority("list", [True]),
    priority("object", {}),
    reason("unknown", "old"),
    reason("empty", ""),
    reason("upper case", "ELDERLY"),
    reason("trailing space", "elderly "),
    reason("Persian", "سالمند"),
    reason("int", 1),
    reason("bool", True),
    reason("list", ["elderly"]),
    reason("object", {"reason": "elderly"}),
    reason("10 kB", "e" * 10 * 1024),
    case("unknown service", body({"service": "nope"}), 404, "not_found"),
    case("unknown 32 chars", body({"service": "a" * 32}), 404, "not_found"),
    case("inactive service", body({"service": "tax"}), 409, "service_unavailable"),
]

TRANSFER_ONLY = [
    case("unknown field", body({"service": "post", "priority": True}), 422, "invalid", "priority"),
    case("missing service", body({"to": "post"}), 422, "invalid", "service"),
    case("unknown service", body({"service": "nope"}), 404, "not_found"),
    case("same service", body({"service": "insurance"}), 409, "conflict"),
    case("inactive service", body({"service": "tax"}), 409, "service_unavailable"),
]


def bulk(name: str, value: Any, status: int = 422, code: str = "invalid", field: Any = None) -> Any:
    """A body of the manager's bulk cancel and how it is refused."""
    return case(name, body(value), status, code, field)


#: Refused before any ticket is touched (the world must not change).
BULK_CANCEL = [
    bulk("empty", {}, field="service"),
    bulk("service only", {"service": "civil"}, field="from"),
    bulk("from without to", {"service": "civil", "from": 2}, field="to"),
    bulk("to without from", {"service": "civil", "to": 2}, field="from"),
    bulk("to before from", {"service": "civil", "from": 5, "to": 2}, field="to"),
    bulk("range and all", {"service": "civil", "from": 1, "to": 2, "all": True}, field="all"),
    bulk("all false", {"service": "civil", "all": False}, field="from"),
    bulk("all 'true'", {"service": "civil", "all": "true"}, field="all"),
    bulk("all 1", {"service": "civil", "all": 1}, field="all"),
    bulk("from 0", {"service": "civil", "from": 0, "to": 2}, field="from"),
    bulk("from -1", {"service": "civil", "from": -1, "to": 2}, field="from"),
    bulk("from '1'", {"service": "civil", "from": "1", "to": 2}, field="from"),
    bulk("from 1.5", {"service": "civil", "from": 1.5, "to": 2}, field="from"),
    bulk("from true", {"service": "civil", "from": True, "to": 2}, field="from"),
    bulk("to 2**31", {"service": "civil", "from": 1, "to": 2**31}, field="to"),
    bulk("from a number", {"service": "civil", "from": "B-001", "to": 2}, field="from"),
    bulk("unknown field", {"service": "civil", "all": True, "reason": "x"}, field="reason"),
    bulk("service list", {"service": ["civil"], "all": True}, field="service"),
    bulk("service upper case", {"service": "CIVIL", "all": True}, field="service"),
    bulk("unknown service", {"service": "nope", "all": True}, 404, "not_found"),
]


@pytest.mark.parametrize(("request_body", "status", "code", "field"), BULK_CANCEL)
def test_the_bulk_cancel_refuses_bad_bodies(world: World, request_body, status, code, field):
    response = send(
        world.client, "POST", "/offices/amol/tickets/cancel", world.tokens.manager, **request_body
    )
    _check(response, status, code, field)


#: The two requests with a body: issuing, and transferring the ticket called at counter 1.
BOTH_BODIES = pytest.mark.parametrize(
    "path", ["/offices/amol/tickets", "/tickets/{called}/transfer"]
)


def post_body(world: World, path: str, **request: Any) -> TestResponse:
    path = path.format(called=world.tickets["called"])
    return send(world.client, "POST", path, world.tokens.clerk, **request)


def _check(response, status: int, code: str, field: str | None) -> None:
    error = assert_error(response, status, code)
    if field is not None:
        assert isinstance(error.get("details"), dict) and field in error["details"], error


@pytest.mark.parametrize(("request_body", "status", "code", "field"), [*BODY_SHAPES, *ISSUE_ONLY])
def test_issuing_a_ticket_refuses_bad_bodies(world: World, request_body, status, code, field):
    response = send(
        world.client, "POST", "/offices/amol/tickets", world.tokens.kiosk, **request_body
    )
    _check(response, status, code, field)


@pytest.mark.parametrize(
    ("request_body", "status", "code", "field"), [*BODY_SHAPES, *TRANSFER_ONLY]
)
def test_transfer_refuses_bad_bodies(world: World, request_body, status, code, field):
    called = world.tickets["called"]  # an insurance ticket at counter 1
    response = send(
        world.client, "POST", f"/tickets/{called}/transfer", world.tokens.clerk, **request_body
    )
    _check(response, status, code, field)


@BOTH_BODIES
def test_a_body_over_64_kb_is_too_large(world: World, path: str):
    padded = '{"service": "nope", "pad": "' + "x" * LIMIT + '"}'
    response = post_body(world, path, **raw(padded))
    assert_error(response, 413, "too_large")


@BOTH_BODIES
@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        pytest.param('{"service": "nope"}', "text/plain", id="JSON as text/plain"),
        pytest.param("service=nope", "application/x-www-form-urlencoded", id="form"),
        pytest.param('{"service": "nope"}', "application/xml", id="JSON as XML"),
    ],
)
def test_a_body_that_is_not_json_is_an_unsupported_media_type(
    world: World, path, data, content_type
):
    # "nope" is unknown: should the body ever be read as JSON, nothing changes either.
    response = post_body(world, path, **raw(data, content_type))
    assert_error(response, 415, "unsupported_media_type")


def test_json_with_a_charset_parameter_is_json(world: World):
    response = send(
        world.client,
        "POST",
        "/offices/amol/tickets",
        world.tokens.kiosk,
        **raw('{"service": "civil"}', "application/json; charset=utf-8"),
    )
    assert response.status_code == 201, response.get_data(as_text=True)


# --- path parameters ------------------------------------------------------------------

OFFICES = [
    pytest.param(quote("nowhere"), id="unknown office"),
    pytest.param("a" * 33, id="33 chars"),
    pytest.param(quote("آمل"), id="Persian name"),
    pytest.param("AMOL", id="upper case"),
    pytest.param(quote("amol'; drop table offices; --", safe=""), id="SQL-ish"),
    pytest.param(quote("amol "), id="trailing space"),
    pytest.param("%00", id="NUL byte"),
    pytest.param("am%00ol", id="NUL inside"),
]
OFFICE_ENDPOINTS = [
    pytest.param("GET", "services", None, id="services"),
    pytest.param("GET", "counters", None, id="counters"),
    pytest.param("POST", "tickets", {"service": "civil"}, id="issue"),
    pytest.param("GET", "queue", None, id="queue"),
    pytest.param("POST", "tickets/cancel", {"service": "civil", "all": True}, id="bulk cancel"),
]


@pytest.mark.parametrize("office", OFFICES)
@pytest.mark.parametrize(("method", "resource", "json"), OFFICE_ENDPOINTS)
def test_an_unknown_office_is_not_found(world: World, request, method, resource, json, office):
    response = send(
        world.client, method, f"/offices/{office}/{resource}", world.tokens.admin, json=json
    )
    assert_error(response, 404, "not_found")


BAD_IDS = [
    pytest.param("0", id="0"),
    pytest.param("-1", id="-1"),
    pytest.param(str(2**31 - 1), id="2**31-1 unknown"),
    pytest.param(str(2**31), id="2**31"),
    pytest.param(str(2**63), id="2**63"),
    pytest.param(str(10**30), id="10**30"),
    pytest.param("abc", id="letters"),
    pytest.param("1.5", id="decimal"),
    pytest.param("1e3", id="exponent"),
    pytest.param("0x1", id="hex"),
    pytest.param("%201", id="leading space"),
    pytest.param("1%00", id="NUL"),
]
ID_ENDPOINTS = [
    *(
        pytest.param(f"/counters/{{id}}/{name}", None, id=f"counter {name}")
        for name in COUNTER_COMMANDS
    ),
    *(
        pytest.param(f"/tickets/{{id}}/{name}", None, id=f"ticket {name}")
        for name in TICKET_ACTIONS
    ),
    pytest.param("/tickets/{id}/transfer", {"service": "post"}, id="ticket transfer"),
    pytest.param("/counters/{id}/call", {"number": "B-001"}, id="counter call"),
]


@pytest.mark.parametrize("ident", BAD_IDS)
@pytest.mark.parametrize(("path", "json"), ID_ENDPOINTS)
def test_an_unknown_or_impossible_id_is_not_found(world: World, path, json, ident):
    response = send(world.client, "POST", path.format(id=ident), world.tokens.admin, json=json)
    assert_error(response, 404, "not_found")


WRONG_METHODS = [
    ("PUT", "/offices/amol/tickets"),
    ("PATCH", "/offices/amol/tickets"),
    ("DELETE", "/offices/amol/tickets"),
    ("POST", "/offices/amol/services"),
    ("DELETE", "/offices/amol/services"),
    ("POST", "/offices/amol/counters"),
    ("POST", "/offices/amol/queue"),
    ("PATCH", "/offices/amol/queue"),
    *(("GET", f"/counters/{{counter}}/{name}") for name in (*COUNTER_COMMANDS, "call")),
    ("POST", "/counters/{counter}"),
    ("DELETE", "/counters/{counter}"),
    ("DELETE", "/counters/{counter}/close"),
    *(("GET", f"/tickets/{{ticket}}/{name}") for name in (*TICKET_ACTIONS, "transfer")),
    ("PUT", "/tickets/{ticket}/transfer"),
    ("DELETE", "/tickets/{ticket}/cancel"),
    ("GET", "/offices/amol/tickets/cancel"),
    ("GET", "/tickets/{ticket}/reprint"),
    ("POST", "/health"),
    ("POST", "/openapi.json"),
]


@pytest.mark.parametrize(
    ("method", "path"), WRONG_METHODS, ids=[" ".join(m) for m in WRONG_METHODS]
)
def test_a_wrong_method_is_not_allowed(world: World, method: str, path: str):
    path = path.format(counter=world.counters[3], ticket=world.tickets["waiting"])
    response = send(world.client, method, path, world.tokens.admin)
    assert_error(response, 405, "method_not_allowed")


def test_a_wrong_method_names_the_allowed_ones(world: World):
    response = send(world.client, "GET", f"/counters/{world.counters[3]}/next", world.tokens.admin)
    assert response.status_code == 405
    assert "POST" in response.headers.get("Allow", "")


# --- the queue's rules ----------------------------------------------------------------

CLERK_ACTIONS = ("recall", "start", "park", "resume", "complete", "no-show", "cancel")
LEGAL = {
    ("waiting", "cancel"),
    ("called", "recall"),
    ("called", "start"),
    ("called", "park"),
    ("called", "complete"),
    ("called", "no-show"),
    ("serving", "park"),
    ("serving", "complete"),
    ("parked", "resume"),
    ("parked", "no-show"),
}
#: Who holds the counter of each ticket that is at one (the world's counter 2 is clerk2's).
HOLDER = {"serving": "clerk2"}
ILLEGAL = [
    pytest.param(status.value, action, id=f"{action} {status.value}")
    for status in TicketStatus
    for action in CLERK_ACTIONS
    if (status.value, action) not in LEGAL
]


@pytest.mark.parametrize(("status", "action"), ILLEGAL)
def test_an_action_the_ticket_status_forbids_is_an_illegal_transition(world: World, status, action):
    ticket = world.tickets[status]
    holder = world.token(HOLDER.get(status, "clerk"))
    response = send(world.client, "POST", f"/tickets/{ticket}/{action}", holder)
    assert_error(response, 409, "illegal_transition")


@pytest.mark.parametrize(
    "status", ["waiting", "done", "no_show", "transferred", "cancelled", "expired", "parked"]
)
def test_only_a_called_or_serving_ticket_can_be_transferred(world: World, status: str):
    # None of these tickets is in civil, so the target is another, active service.
    response = send(
        world.client,
        "POST",
        f"/tickets/{world.tickets[status]}/transfer",
        world.tokens.clerk,
        json={"service": "civil"},
    )
    assert_error(response, 409, "illegal_transition")


COUNTER_CONFLICTS = [
    pytest.param("clerk2", 1, "next", "counter_busy", id="next at a counter open for another"),
    pytest.param("clerk2", 1, "pause", "counter_busy", id="pause a counter open for another"),
    pytest.param("clerk2", 1, "close", "counter_busy", id="close a counter open for another"),
    pytest.param("clerk", 2, "next", "counter_busy", id="next at the other clerk's counter"),
    pytest.param("clerk", 1, "close", "conflict", id="close with a called ticket"),
    pytest.param("clerk2", 2, "close", "conflict", id="close with a serving ticket"),
    pytest.param("clerk", 3, "pause", "conflict", id="pause a closed counter"),
]


@pytest.mark.parametrize(("who", "number", "name", "code"), COUNTER_CONFLICTS)
def test_a_counter_command_its_state_forbids_is_a_conflict(world: World, who, number, name, code):
    response = send(
        world.client, "POST", f"/counters/{world.counters[number]}/{name}", world.token(who)
    )
    assert_error(response, 409, code)


# --- inputs that broke the server -----------------------------------------------------


@BOTH_BODIES
def test_deeply_nested_json_is_bad_json(world: World, path: str):
    response = post_body(world, path, **raw("[" * 50_000))
    assert_error(response, 400, "bad_request")


@BOTH_BODIES
def test_a_number_too_long_to_parse_is_bad_json(world: World, path: str):
    data = '{"service": "nope", "priority": ' + "1" * 5000 + "}"
    response = post_body(world, path, **raw(data))
    assert_error(response, 400, "bad_request")


@BOTH_BODIES
def test_an_unknown_field_with_an_unencodable_name_is_invalid(world: World, path: str):
    data = '{"service": "nope", "\\udcff": 1}'
    response = post_body(world, path, **raw(data))
    assert_error(response, 422, "invalid")


def test_a_chunked_body_over_the_limit_is_too_large(world: World):
    """No Content-Length to refuse up front: the limit holds as the body is read."""
    padded = ('{"service": "civil", "pad": "' + "x" * LIMIT + '"}').encode()
    response = send(
        world.client,
        "POST",
        "/offices/amol/tickets",
        world.tokens.kiosk,
        input_stream=io.BytesIO(padded),
        headers={"Content-Type": "application/json", "Transfer-Encoding": "chunked"},
        # What a WSGI server that decodes chunked bodies says (gunicorn does).
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert_error(response, 413, "too_large")


@pytest.mark.parametrize(
    ("code", "shown"), [("\u202eloma", "\\u202eloma"), ("am\x00ol", "am\\u0000ol")]
)
def test_input_echoed_in_an_error_is_quoted_safely(world: World, code: str, shown: str):
    response = send(world.client, "GET", f"/offices/{quote(code)}/services", world.tokens.admin)
    message = assert_error(response, 404, "not_found")["message"]
    assert shown in message and code not in message


def test_long_input_echoed_in_an_error_is_cut(world: World):
    codes = ",".join(f"nowhere{n}" for n in range(40))
    query = f"/stats?from=2025-03-20&to=2025-03-20&offices={codes}"
    message = assert_error(send(world.client, "GET", query, world.tokens.admin), 404, "not_found")
    assert "nowhere13, …" in message["message"] and "nowhere39" not in message["message"]


@BOTH_BODIES
@pytest.mark.parametrize(
    "data",
    [
        '{"service": "civil\\u0000"}',
        '{"service": "civil", "\\u0000": 1}',
        '{"service": "civil", "region": [[["a\\u0000"]]]}',
    ],
    ids=["a value", "a key", "deep inside"],
)
def test_a_nul_character_anywhere_in_a_body_is_refused_before_any_query(
    world: World, path: str, data: str
):
    """PostgreSQL stores no NUL character: one in a text reached it and was a 500 (found
    by the API fuzzing)."""
    response = post_body(world, path, **raw(data))
    assert_error(response, 422, "invalid")


def test_a_nul_character_in_a_query_string_is_refused(world: World):
    response = send(
        world.client,
        "GET",
        "/offices/amol/stats?from=2025-03-20&to=2025-03-20&by=da%00y",
        world.tokens.manager,
    )
    assert_error(response, 422, "invalid")
