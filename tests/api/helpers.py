"""Short verbs for API tests: requests as a kind of caller, and the one error shape."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.conftest import Tokens

API = "/api/v1"
TEHRAN = timedelta(hours=3, minutes=30)

#: Every endpoint that needs a caller: (method, path under /api/v1, JSON body or None).
#: ``{counter}`` and ``{ticket}`` are filled in by the test.
ENDPOINTS: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "/offices/amol/services", None),
    ("GET", "/offices/amol/counters", None),
    ("POST", "/offices/amol/tickets", {"service": "civil"}),
    ("GET", "/offices/amol/tickets?number=B-001", None),
    ("POST", "/offices/amol/tickets/cancel", {"service": "civil", "all": True}),
    ("GET", "/offices/amol/queue", None),
    ("GET", "/counters/{counter}", None),
    ("POST", "/counters/{counter}/next", None),
    ("POST", "/counters/{counter}/call", {"number": "B-001"}),
    ("POST", "/counters/{counter}/open", None),
    ("POST", "/counters/{counter}/takeover", None),
    ("POST", "/counters/{counter}/pause", None),
    ("POST", "/counters/{counter}/close", None),
    ("POST", "/tickets/{ticket}/recall", None),
    ("POST", "/tickets/{ticket}/start", None),
    ("POST", "/tickets/{ticket}/park", None),
    ("POST", "/tickets/{ticket}/resume", None),
    ("POST", "/tickets/{ticket}/complete", None),
    ("POST", "/tickets/{ticket}/no-show", None),
    ("POST", "/tickets/{ticket}/cancel", None),
    ("POST", "/tickets/{ticket}/transfer", {"service": "civil"}),
]

#: Counter commands without a required body.
COUNTER_COMMANDS = ("next", "open", "takeover", "pause", "close")
TICKET_ACTIONS = ("recall", "start", "park", "resume", "complete", "no-show", "cancel")


def endpoint_id(endpoint: tuple[str, str, Any]) -> str:
    method, path, _body = endpoint
    return f"{method} {path}"


def send(
    client: FlaskClient,
    method: str,
    path: str,
    token: str | None = None,
    **kwargs: Any,
) -> TestResponse:
    """A request to ``/api/v1{path}``, as the caller of ``token`` when given."""
    headers = dict(kwargs.pop("headers", {}))
    if token is not None:
        headers.update(Tokens.header(token))
    return client.open(API + path, method=method, headers=headers, **kwargs)


def assert_error(response: TestResponse, status: int, code: str) -> dict[str, Any]:
    """The response is ``{"error": {"code", "message"[, "details"]}}`` with ``status``."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json", response.get_data(as_text=True)
    body = response.get_json()
    assert isinstance(body, dict) and set(body) == {"error"}, body
    error = body["error"]
    assert set(error) <= {"code", "message", "details"}, error
    assert error["code"] == code, error
    assert isinstance(error["message"], str) and error["message"].strip(), error
    return error


def assert_4xx_shape(response: TestResponse) -> None:
    """Never a 500; every refusal in the error shape."""
    assert response.status_code < 500, response.get_data(as_text=True)
    if response.status_code >= 400:
        body = response.get_json(silent=True)
        assert isinstance(body, dict) and set(body) == {"error"}, response.get_data(as_text=True)
        assert isinstance(body["error"]["code"], str) and body["error"]["code"]
        assert isinstance(body["error"]["message"], str) and body["error"]["message"].strip()


def issue(client: FlaskClient, token: str, service: str, **fields: Any) -> dict[str, Any]:
    response = send(
        client, "POST", "/offices/amol/tickets", token, json={"service": service, **fields}
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def call_next(client: FlaskClient, token: str, counter: int) -> dict[str, Any] | None:
    """The called ticket, or None when the counter answered 204."""
    response = send(client, "POST", f"/counters/{counter}/next", token)
    assert response.status_code in (200, 204), response.get_data(as_text=True)
    return response.get_json() if response.status_code == 200 else None


def act(client: FlaskClient, token: str, ticket: int, action: str, **kwargs: Any) -> dict[str, Any]:
    response = send(client, "POST", f"/tickets/{ticket}/{action}", token, **kwargs)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def command(client: FlaskClient, token: str, counter: int, name: str) -> dict[str, Any]:
    response = send(client, "POST", f"/counters/{counter}/{name}", token)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def counter_ids(client: FlaskClient, token: str, office: str = "amol") -> dict[int, int]:
    """Counter number -> id, as the API lists them."""
    response = send(client, "GET", f"/offices/{office}/counters", token)
    assert response.status_code == 200, response.get_data(as_text=True)
    return {c["number"]: c["id"] for c in response.get_json()}


def board(client: FlaskClient, token: str, office: str = "amol") -> dict[str, Any]:
    response = send(client, "GET", f"/offices/{office}/queue", token)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def waiting(client: FlaskClient, token: str) -> dict[str, int]:
    """Waiting tickets per service code on the office's board."""
    return {s["code"]: s["waiting"] for s in board(client, token)["services"]}


COUNTER_FIELDS = ("id", "number", "name", "state", "clerk", "services")


def subset(payload: dict[str, Any], fields: tuple[str, ...] = COUNTER_FIELDS) -> dict[str, Any]:
    """The contract's fields of a payload (a counter's by default): the API may add others."""
    return {name: payload[name] for name in fields}


def local_time(value: str) -> datetime:
    """An ISO 8601 time that must carry Tehran's +03:30 offset."""
    assert value.endswith("+03:30"), value
    parsed = datetime.fromisoformat(value)
    assert parsed.utcoffset() == TEHRAN
    return parsed
