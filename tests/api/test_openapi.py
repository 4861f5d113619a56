"""The OpenAPI document at /api/v1/openapi.json describes the API as it is."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.api.conftest import World
from tests.api.helpers import send

HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
STATUS_KEY = re.compile(r"^(default|[1-5](\d\d|XX))$")

DOCUMENTED = [
    ("get", "/api/v1/health"),
    ("get", "/api/v1/offices/{office}/services"),
    ("get", "/api/v1/offices/{office}/counters"),
    ("post", "/api/v1/offices/{office}/tickets"),
    ("get", "/api/v1/offices/{office}/queue"),
    ("post", "/api/v1/offices/{office}/tickets/cancel"),
    ("post", "/api/v1/tickets/{ticket}/reprint"),
    *(
        ("post", f"/api/v1/counters/{{counter}}/{name}")
        for name in ("next", "open", "pause", "close")
    ),
    *(
        ("post", f"/api/v1/tickets/{{ticket}}/{name}")
        for name in ("recall", "start", "complete", "no-show", "cancel", "transfer")
    ),
]


@pytest.fixture(scope="module")
def document(world: World) -> dict[str, Any]:
    response = send(world.client, "GET", "/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    return json.loads(response.get_data(as_text=True))


def _resolve(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        ref = node["$ref"]
        assert ref.startswith("#/"), ref
        target: Any = document
        for part in ref[2:].split("/"):
            assert part in target, f"{ref} does not resolve"
            target = target[part]
        node = target
    return node


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [v for k, v in node.items() if k == "$ref"] + [
            r for v in node.values() for r in _refs(v)
        ]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def test_the_document_is_a_well_formed_openapi_3_document(document: dict[str, Any]):
    assert re.match(r"^3\.\d+\.\d+$", document["openapi"])
    assert document["info"]["title"] == "Nobat"
    assert document["info"]["version"]
    assert isinstance(document["paths"], dict) and document["paths"]
    for ref in _refs(document):
        _resolve(document, {"$ref": ref})
    for path, item in document["paths"].items():
        assert path.startswith("/api/v1/"), path
        operations = {k: v for k, v in item.items() if k in HTTP_METHODS}
        assert operations, path
        assert set(item) <= HTTP_METHODS | {"parameters", "summary", "description"}, path
        declared = {
            p["name"]
            for p in [
                *item.get("parameters", []),
                *(p for o in operations.values() for p in o.get("parameters", [])),
            ]
            if p["in"] == "path"
        }
        assert declared == set(re.findall(r"{(\w+)}", path)), path
        for parameter in item.get("parameters", []):
            assert parameter["in"] != "path" or parameter["required"] is True
        for method, operation in operations.items():
            assert operation["responses"], (method, path)
            for status, response in operation["responses"].items():
                assert STATUS_KEY.match(status), (method, path, status)
                assert _resolve(document, response)["description"], (method, path, status)


@pytest.mark.parametrize(("method", "path"), DOCUMENTED, ids=[f"{m} {p}" for m, p in DOCUMENTED])
def test_every_endpoint_is_documented_with_its_method(document, method: str, path: str):
    assert path in document["paths"], sorted(document["paths"])
    assert method in document["paths"][path]


def test_callers_authenticate_with_a_bearer_token(document: dict[str, Any]):
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearer"]["type"] == "http"
    assert schemes["bearer"]["scheme"].lower() == "bearer"
    assert {"bearer": []} in document["security"]


def test_health_is_documented_as_public(document: dict[str, Any]):
    assert document["paths"]["/api/v1/health"]["get"].get("security") == []


def _request_schema(document: dict[str, Any], path: str) -> dict[str, Any]:
    body = document["paths"][path]["post"]["requestBody"]
    assert body["required"] is True
    return _resolve(document, body["content"]["application/json"]["schema"])


def test_issuing_a_ticket_requires_a_service(document: dict[str, Any]):
    schema = _request_schema(document, "/api/v1/offices/{office}/tickets")
    assert schema["type"] == "object"
    assert schema["required"] == ["service"]
    assert schema["additionalProperties"] is False
    service = schema["properties"]["service"]
    assert (service["type"], service["minLength"], service["maxLength"]) == ("string", 1, 32)
    assert service["pattern"]
    assert schema["properties"]["priority"]["type"] == "boolean"
    reasons = set(schema["properties"]["priority_reason"]["enum"])
    assert reasons >= {"elderly", "disabled", "veteran", "pregnant"}


def test_a_transfer_requires_a_service(document: dict[str, Any]):
    schema = _request_schema(document, "/api/v1/tickets/{ticket}/transfer")
    assert schema["required"] == ["service"]
    assert schema["additionalProperties"] is False


def test_the_documented_answers_match_the_api(document: dict[str, Any]):
    paths = document["paths"]
    assert "201" in paths["/api/v1/offices/{office}/tickets"]["post"]["responses"]
    assert {"200", "204"} <= set(paths["/api/v1/counters/{counter}/next"]["post"]["responses"])
    ticket = _resolve(
        document,
        paths["/api/v1/offices/{office}/tickets"]["post"]["responses"]["201"]["content"][
            "application/json"
        ]["schema"],
    )
    assert {
        "id",
        "number",
        "service",
        "status",
        "position",
        "eta_seconds",
        "issued_at",
        "status_url",
    } <= set(ticket["properties"])
    assert ticket["properties"]["issued_at"]["format"] == "date-time"


@pytest.mark.parametrize("name", ["counter", "ticket"])
def test_path_ids_are_documented_as_bounded_integers(document: dict[str, Any], name: str):
    path = next(p for p in document["paths"] if f"{{{name}}}" in p)
    (parameter,) = document["paths"][path]["parameters"]
    assert parameter["schema"] == {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}


def test_the_documented_error_shape_is_the_one_the_api_sends(document: dict[str, Any]):
    default = document["paths"]["/api/v1/offices/{office}/tickets"]["post"]["responses"]["default"]
    schema = _resolve(
        document, _resolve(document, default)["content"]["application/json"]["schema"]
    )
    error = _resolve(document, schema["properties"]["error"])
    assert error["properties"]["code"]["type"] == "string"
    assert error["properties"]["message"]["type"] == "string"


def _patterns(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["pattern"]] if isinstance(node.get("pattern"), str) else []
        return found + [p for value in node.values() for p in _patterns(value)]
    if isinstance(node, list):
        return [p for value in node for p in _patterns(value)]
    return []


def test_every_pattern_reads_the_same_in_a_javascript_client(document: dict[str, Any]):
    patterns = _patterns(document)
    assert patterns
    for pattern in patterns:
        # \A and \Z are Python's: ECMAScript reads them as the letters A and Z. And "$"
        # lets a final newline through in Python but not in ECMAScript.
        assert "\\A" not in pattern and "\\Z" not in pattern and "$" not in pattern, pattern
        assert pattern.startswith("^"), pattern


def test_issuing_documents_the_rate_limits_429(document: dict[str, Any]):
    responses = document["paths"]["/api/v1/offices/{office}/tickets"]["post"]["responses"]
    assert "Retry-After" in _resolve(document, responses["429"])["description"]


def test_the_bulk_cancel_takes_a_service_and_a_range_or_all(document: dict[str, Any]):
    schema = _request_schema(document, "/api/v1/offices/{office}/tickets/cancel")
    assert schema["required"] == ["service"]
    assert {"service", "from", "to", "all"} <= set(schema["properties"])


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    ]


def test_who_may_call_an_operation_documents_the_refusals_of_others(document: dict[str, Any]):
    declared = [(m, p, o) for m, p, o in _operations(document) if "x-roles" in o]
    assert len(declared) > 20
    for method, path, operation in declared:
        responses = operation["responses"]
        assert {"401", "403"} <= set(responses), (method, path)
        assert "WWW-Authenticate" in responses["401"]["headers"], (method, path)
        for status in ("401", "403"):
            error = responses[status]["content"]["application/json"]["schema"]
            assert error == {"$ref": "#/components/schemas/Error"}, (method, path, status)
        if operation["x-acts-at"] != "own scope":
            # An unknown office, counter, ticket or print job in the path.
            assert "404" in responses, (method, path)


def test_a_json_body_documents_its_refusals(document: dict[str, Any]):
    with_body = [
        (m, p, o)
        for m, p, o in _operations(document)
        if "application/json" in o.get("requestBody", {}).get("content", {})
    ]
    assert len(with_body) >= 7
    for method, path, operation in with_body:
        assert {"400", "413", "415", "422"} <= set(operation["responses"]), (method, path)
