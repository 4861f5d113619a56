"""The authorisation matrix, generated from the routes and the socket events: every
operation × every caller × its own office, another office and no credential; every
event × every kind of socket.

Each operation's ``@blp.allow`` declaration says who it admits; this walks the app's
URL map, so an operation added without a declaration fails here. Refusals are exact
(401 without a credential, 403 for the wrong role or device or another office); an
admitted caller may still meet the operation's own rules (422 for the empty body sent
here, 409 for a ticket in the wrong state, 403 for a device at another counter), but
never a refusal of who it is, and never a 500.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from server.api.access import DECLARED, Access, At, Who
from server.app import create_app
from server.auth import create_token, hash_token
from server.config import TestingConfig
from server.engine.clock import utcnow
from server.extensions import db
from server.live.sockets import AGENT, EVENTS, EVERY_SOCKET, TICKET_PAGE, socketio
from server.models import ApiToken, Counter, Office, PrintJob, Ticket, TokenKind
from tests.api.helpers import call_next, command, counter_ids, issue, send
from tests.conftest import close, new_app, people

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
#: Where each path parameter points, in the caller's office and in the other one.
PLACES = ("own", "other")


@dataclass(frozen=True)
class Operation:
    method: str
    rule: str
    access: Access | None
    public: bool

    def __str__(self) -> str:
        return f"{self.method} {self.rule}"


def operations(app: Flask) -> list[Operation]:
    """Every API operation, with its declaration (None: declared nowhere)."""
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.endpoint.endswith("openapi_json"):
            continue
        view = app.view_functions[rule.endpoint]
        blueprint = app.blueprints[rule.endpoint.split(".")[0]]
        for method in sorted(rule.methods & set(METHODS)):
            handler = getattr(view.view_class, method.lower())
            found.append(
                Operation(
                    method,
                    rule.rule,
                    getattr(handler, DECLARED, None),
                    getattr(blueprint, "public", False),
                )
            )
    return found


@dataclass
class Place:
    """Path values in one office: an office code, a counter, a ticket at that counter, a job."""

    office: str
    counter: int
    ticket: int
    job: int


@dataclass
class Matrix:
    app: Flask
    client: FlaskClient
    callers: dict[Who, str]
    places: dict[str, Place]


@pytest.fixture(scope="module")
def matrix(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Matrix]:
    """Amol's callers of every kind, and a counter, ticket and print job in amol and babol."""
    app = new_app(f"sqlite:///{tmp_path_factory.mktemp('matrix') / 'nobat.sqlite3'}")
    client = app.test_client()
    with app.app_context():
        tokens = people(db.session)
        counter = db.session.scalar(
            select(Counter).join(Office).where(Office.code == "amol", Counter.number == 1)
        )
        device = create_token(db.session, device=TokenKind.COUNTER, counter=counter)
        db.session.commit()
    callers = {
        Who.ADMIN: tokens.admin,
        Who.MANAGER: tokens.manager,
        Who.CLERK: tokens.clerk,
        Who.KIOSK: tokens.kiosk,
        Who.DISPLAY: tokens.display,
        Who.COUNTER: device,
    }
    places = {
        "own": _place(app, client, "amol", tokens.clerk, tokens.kiosk),
        "other": _place(app, client, "babol", tokens.other_clerk, tokens.other_kiosk),
    }
    yield Matrix(app, client, callers, places)
    close(app)


def _place(app: Flask, client: FlaskClient, office: str, clerk: str, kiosk: str) -> Place:
    """Counter 1 open and holding a called ticket of the kiosk's, with a print job of it."""
    counter = counter_ids(client, clerk, office)[1]
    command(client, clerk, counter, "open")
    ticket = _issue(client, kiosk, office)
    assert call_next(client, clerk, counter)["id"] == ticket
    with app.app_context():
        office_id = db.session.scalar(select(Office.id).where(Office.code == office))
        kiosk_id = db.session.scalar(
            select(ApiToken.id).where(ApiToken.token_hash == hash_token(kiosk))
        )
        now = utcnow()
        job = PrintJob(
            office_id=office_id,
            ticket_id=ticket,
            kiosk_token_id=kiosk_id,
            printer="preview://",
            created_at=now,
            updated_at=now + timedelta(seconds=1),
        )
        db.session.add(job)
        db.session.commit()
        return Place(office, counter, ticket, job.id)


def _issue(client: FlaskClient, kiosk: str, office: str) -> int:
    if office == "amol":
        return issue(client, kiosk, "insurance")["id"]
    response = send(
        client, "POST", f"/offices/{office}/tickets", kiosk, json={"service": "insurance"}
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()["id"]


def _path(operation: Operation, place: Place) -> str:
    """The operation's URL with every parameter pointing into ``place``."""
    values = {
        "office": place.office,
        "counter": place.counter,
        "ticket": place.ticket,
        "job": place.job,
    }
    # No device has this id: a manager admitted to revoke it is told 404, changing nothing.
    values |= {"device": 2**31 - 1}
    # Set-up records the empty body cannot create (422), and a user nobody is (404).
    values |= {"service": "new", "number": 999, "username": "nobody"}
    # A choice of values (``<any(csv, xlsx):format>``) takes its first.
    chosen = re.sub(r"<any\(([a-z]+)[^)]*\):[a-z_]+>", r"\1", operation.rule)
    return re.sub(r"<(?:[^:<>]+:)?([a-z_]+)>", lambda m: str(values[m.group(1)]), chosen)


def _expected(access: Access, who: Who | None, place: str) -> int | None:
    """The exact refusal, or None where the caller is admitted."""
    if who is None:
        return 401
    if who not in access.who:
        return 403
    if place == "other" and access.at is not At.OWN_SCOPE and who is not Who.ADMIN:
        return 403
    return None


def test_every_operation_declares_who_it_admits(matrix: Matrix) -> None:
    undeclared = [str(o) for o in operations(matrix.app) if o.access is None and not o.public]
    assert undeclared == []


def test_the_openapi_document_states_each_operations_roles(matrix: Matrix) -> None:
    document = send(matrix.client, "GET", "/openapi.json").get_json()
    for operation in operations(matrix.app):
        if operation.access is None:
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([a-z_]+)>", r"{\1}", operation.rule)
        documented = document["paths"][path][operation.method.lower()]
        assert documented["x-roles"] == sorted(operation.access.who), operation


def _cases() -> Iterator[Any]:
    """(operation, caller, place) for every declared operation: generated from a bare app."""
    app = create_app(TestingConfig, {"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    for operation in operations(app):
        if operation.access is None:
            continue
        for who in (None, *Who):
            for place in PLACES:
                if place == "other" and "<" not in operation.rule:
                    continue
                name = f"{operation} {who or 'anonymous'} {place}"
                yield pytest.param(operation, who, place, id=name)


@pytest.mark.parametrize(("operation", "who", "place"), list(_cases()))
def test_the_matrix(matrix: Matrix, operation: Operation, who: Who | None, place: str) -> None:
    assert operation.access is not None
    token = matrix.callers[who] if who is not None else None
    path = _path(operation, matrix.places[place]).removeprefix("/api/v1")
    body = {} if operation.method in ("POST", "PUT", "PATCH") else None
    response = send(matrix.client, operation.method, path, token, json=body)
    expected = _expected(operation.access, who, place)
    assert response.status_code < 500, response.get_data(as_text=True)
    if expected is not None:
        assert response.status_code == expected, response.get_data(as_text=True)
    else:
        # The places keep the view's own rules true too: the kiosk's own job, the device's
        # own counter and a ticket called there.
        assert response.status_code not in (401, 403), response.get_data(as_text=True)


# --- Socket.IO events ----------------------------------------------------------------


def _socket(matrix: Matrix, kind: str) -> Any:
    """A connected test socket of ``kind``: a staff role or device, a print agent, or a
    citizen's ticket page."""
    if kind == TICKET_PAGE:
        with matrix.app.app_context():
            link = db.session.get(Ticket, matrix.places["own"].ticket).public_token
        auth: dict[str, Any] = {"ticket": link}
    elif kind == AGENT:
        auth = {"token": matrix.callers[Who.KIOSK], "agent": True}
    else:
        # An administrator belongs to no office: it names the one it watches.
        auth = {"token": matrix.callers[Who(kind)], "office": "amol"}
    client = socketio.test_client(matrix.app, auth=auth)
    assert client.is_connected(), kind
    return client


def test_every_socket_event_declares_who_may_send_it() -> None:
    handled = set(socketio.server.handlers["/"]) - {"connect", "disconnect"}
    assert handled == set(EVENTS)


@pytest.mark.parametrize("event", sorted(EVENTS))
@pytest.mark.parametrize("kind", sorted(EVERY_SOCKET))
def test_the_socket_matrix(matrix: Matrix, event: str, kind: str) -> None:
    client = _socket(matrix, kind)
    try:
        answer = client.emit(event, callback=True)
    finally:
        client.disconnect()
    refused = isinstance(answer, dict) and answer.get("error", {}).get("code") == "forbidden"
    assert refused is (kind not in EVENTS[event]), answer
