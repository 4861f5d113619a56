"""Persian first: error messages are Persian unless the caller asks for English."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.api.conftest import World
from tests.api.helpers import assert_error, send

PERSIAN = re.compile(r"[\u0600-\u06ff]")


def refusal(
    name: str,
    method: str,
    path: str,
    caller: str | None,
    body: dict | None,
    status: int,
    code: str,
) -> Any:
    return pytest.param(method, path, caller, body, status, code, id=name)


#: Requests refused for different reasons.
REFUSALS = [
    refusal("401", "GET", "/offices/amol/services", None, None, 401, "unauthorized"),
    refusal("403", "GET", "/offices/amol/queue", "kiosk", None, 403, "forbidden"),
    refusal("404 office", "GET", "/offices/nowhere/services", "clerk", None, 404, "not_found"),
    refusal(
        "404 service",
        "POST",
        "/offices/amol/tickets",
        "kiosk",
        {"service": "nope"},
        404,
        "not_found",
    ),
    refusal("422", "POST", "/offices/amol/tickets", "kiosk", {"service": 1}, 422, "invalid"),
    refusal(
        "409 inactive",
        "POST",
        "/offices/amol/tickets",
        "kiosk",
        {"service": "tax"},
        409,
        "service_unavailable",
    ),
    refusal(
        "409 transition",
        "POST",
        "/tickets/{waiting}/start",
        "clerk",
        None,
        409,
        "illegal_transition",
    ),
]


def _refuse(world: World, method, path, caller, body, status, code, **how) -> str:
    path = path.format(waiting=world.tickets["waiting"])
    token = world.token(caller) if caller else None
    response = send(world.client, method, path, token, json=body, **how)
    return assert_error(response, status, code)["message"]


@pytest.mark.parametrize(("method", "path", "caller", "body", "status", "code"), REFUSALS)
def test_errors_are_in_persian_by_default(world: World, method, path, caller, body, status, code):
    message = _refuse(world, method, path, caller, body, status, code)
    assert PERSIAN.search(message), message


@pytest.mark.parametrize(
    "how",
    [
        pytest.param({"query_string": {"lang": "en"}}, id="?lang=en"),
        pytest.param({"headers": {"Accept-Language": "en-US,en;q=0.8"}}, id="Accept-Language"),
    ],
)
@pytest.mark.parametrize(("method", "path", "caller", "body", "status", "code"), REFUSALS)
def test_errors_are_in_english_when_asked(
    world: World, how, method, path, caller, body, status, code
):
    message = _refuse(world, method, path, caller, body, status, code, **how)
    assert message.isascii(), message


@pytest.mark.parametrize(
    ("method", "path", "data", "status", "code"),
    [
        pytest.param("GET", "/offices/amol/services/extra/more", None, 404, "not_found", id="404"),
        pytest.param("PUT", "/offices/amol/tickets", None, 405, "method_not_allowed", id="405"),
        pytest.param("POST", "/offices/amol/tickets", "x" * 70_000, 413, "too_large", id="413"),
    ],
)
def test_errors_of_the_framework_are_in_persian_too(world: World, method, path, data, status, code):
    response = send(
        world.client, method, path, world.tokens.kiosk, data=data, content_type="application/json"
    )
    error = assert_error(response, status, code)
    assert PERSIAN.search(error["message"]), error


def test_why_a_service_is_unavailable_is_said_in_persian_too(world: World):
    response = send(
        world.client, "POST", "/offices/amol/tickets", world.tokens.kiosk, json={"service": "tax"}
    )
    error = assert_error(response, 409, "service_unavailable")
    assert "inactive" not in error["message"], error["message"]


LATIN_WORD = re.compile(r"[A-Za-z]{2,}")

#: Refusals whose messages name a status, an action or a service (by its name, below).
NAMING = [
    pytest.param("POST", "/tickets/{done}/start", "clerk", None, 409, id="start a done ticket"),
    pytest.param("POST", "/tickets/{no_show}/recall", "clerk", None, 409, id="recall an absent"),
    pytest.param("POST", "/counters/{counter}/close", "clerk", None, 409, id="close while called"),
    pytest.param("POST", "/offices/amol/tickets", "kiosk", {"service": "tax"}, 409, id="inactive"),
]
#: The test office's names of service ``tax`` (harness/builders.py).
TAX = {"fa": "خدمت tax", "en": "Tax"}


def _naming(world: World, method, path, caller, body, status, lang: str) -> str:
    path = path.format(counter=world.counters[1], **world.tickets)
    response = send(
        world.client, method, path, world.token(caller), json=body, query_string={"lang": lang}
    )
    assert response.status_code == status, response.get_json()
    message = response.get_json()["error"]["message"]
    if body is not None:
        assert TAX[lang] in message, message
        message = message.replace(TAX[lang], "")
    return message


@pytest.mark.parametrize(("method", "path", "caller", "body", "status"), NAMING)
def test_a_persian_message_says_statuses_actions_and_services_in_persian(
    world: World, method, path, caller, body, status
):
    message = _naming(world, method, path, caller, body, status, "fa")
    assert PERSIAN.search(message) and not LATIN_WORD.search(message), message


@pytest.mark.parametrize(("method", "path", "caller", "body", "status"), NAMING)
def test_an_english_message_says_them_in_words_not_codes(
    world: World, method, path, caller, body, status
):
    message = _naming(world, method, path, caller, body, status, "en")
    assert message.isascii() and "_" not in message and "tax" not in message, message
