"""Fixtures of the API tests.

Tests that change the queue use the suite's ``client`` and ``tokens``
(``tests/conftest.py``) on an ``app`` overridden here: one app per database,
emptied before each test rather than rebuilt. The long tables of refusals share
one ``world`` per database instead: offices with tickets in every status, built
once per run, which no table may change (every request in them is refused).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from harness import builders
from server import auth
from server.engine.clock import utcnow
from server.extensions import db
from server.models import ApiToken, Office, Role, Service, Ticket, TicketStatus, TokenKind, User
from tests import emptied
from tests.api.helpers import act, call_next, counter_ids, issue
from tests.conftest import DATABASES, Tokens, close, database_url, new_app, people

# The API tests start from a fresh office dozens of times: the emptied app, not a new one.
app = emptied.app

SERVICES = (("insurance", "A"), ("civil", "B"), ("post", "C"), ("tax", "D"))


@pytest.fixture
def counters(client: FlaskClient, tokens: Tokens) -> dict[int, int]:
    """Office amol's counter ids by number (1, 2, 3), as the API lists them."""
    return counter_ids(client, tokens.clerk)


@dataclass
class World:
    """One database with office amol in every state a table needs, and babol beside it.

    Amol has a fourth service, ``tax`` (letter D), switched off through the database.
    """

    app: Flask
    client: FlaskClient
    tokens: Tokens
    dialect: str
    #: tokens that must be refused: revoked (a clerk's and a kiosk's), and a disabled user's
    revoked: str
    revoked_kiosk: str
    disabled: str
    #: counter number -> id in amol: 1 open for clerk (ticket called), 2 open for clerk2
    #: (ticket serving), 3 closed
    counters: dict[int, int]
    babol_counter: int
    #: a ticket of amol in each status, by status value
    tickets: dict[str, int]
    babol_ticket: int

    def token(self, name: str) -> str:
        return getattr(self, name) if hasattr(self, name) else getattr(self.tokens, name)


@pytest.fixture(scope="session", params=DATABASES)
def world_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    yield from database_url(request, tmp_path_factory)


@pytest.fixture(scope="session")
def world(world_url: str) -> Iterator[World]:
    result = build_world(world_url)
    yield result
    close(result.app)


def build_world(url: str) -> World:
    """A new app on the empty database at ``url``, with the world built in it."""
    app = new_app(url)
    with app.app_context():
        dialect = db.engine.dialect.name
        tokens, extra = _people(db.session)
    client = app.test_client()
    return World(
        app=app,
        client=client,
        tokens=tokens,
        dialect=dialect,
        revoked=extra["revoked"],
        revoked_kiosk=extra["revoked_kiosk"],
        disabled=extra["disabled"],
        counters=counter_ids(client, tokens.clerk),
        babol_counter=counter_ids(client, tokens.other_clerk, "babol")[1],
        tickets=_tickets_in_every_status(app, client, tokens),
        babol_ticket=_babol_ticket(client, tokens),
    )


def _people(s) -> tuple[Tokens, dict[str, str]]:
    """Offices amol and babol with their counters, and a token for every kind of caller."""
    tokens = people(s, SERVICES)
    amol = s.scalar(select(Office).where(Office.code == "amol"))

    extra = {
        "revoked": builders.user_token(s, "revoked-clerk", Role.CLERK, amol),
        "revoked_kiosk": builders.device_token(s, TokenKind.KIOSK, amol),
        "disabled": builders.user_token(s, "disabled-clerk", Role.CLERK, amol),
    }
    s.commit()
    # Switched off through the database, as an administrator would.
    for secret in (extra["revoked"], extra["revoked_kiosk"]):
        token = s.scalar(select(ApiToken).where(ApiToken.token_hash == auth.hash_token(secret)))
        token.revoked = True
    s.scalar(select(User).where(User.username == "disabled-clerk")).active = False
    s.scalar(
        select(Service).where(Service.office_id == amol.id, Service.code == "tax")
    ).active = False
    s.commit()
    return tokens, extra


def _tickets_in_every_status(app: Flask, client: FlaskClient, tokens: Tokens) -> dict[str, int]:
    """Real tickets of amol brought to each status through the API (expired via the database)."""
    ids = counter_ids(client, tokens.clerk)
    clerk, clerk2, kiosk = tokens.clerk, tokens.clerk2, tokens.kiosk
    result: dict[str, int] = {}

    done = issue(client, kiosk, "insurance")
    assert call_next(client, clerk, ids[1])["id"] == done["id"]
    result["done"] = act(client, clerk, done["id"], "complete")["id"]

    absent = issue(client, kiosk, "insurance")
    assert call_next(client, clerk, ids[1])["id"] == absent["id"]
    result["no_show"] = act(client, clerk, absent["id"], "no-show")["id"]

    moved = issue(client, kiosk, "insurance")
    assert call_next(client, clerk, ids[1])["id"] == moved["id"]
    successor = act(client, clerk, moved["id"], "transfer", json={"service": "civil"})
    result["transferred"] = moved["id"]

    # Counter 2 (clerk2) serves the transferred citizen: it stays serving.
    assert call_next(client, clerk2, ids[2])["id"] == successor["id"]
    result["serving"] = act(client, clerk2, successor["id"], "start")["id"]

    # A citizen at counter 1 went to fetch a document.
    parked = issue(client, kiosk, "insurance")
    assert call_next(client, clerk, ids[1])["id"] == parked["id"]
    result["parked"] = act(client, clerk, parked["id"], "park")["id"]

    # Counter 1 (clerk) has called a citizen who has not arrived yet.
    called = issue(client, kiosk, "insurance")
    assert call_next(client, clerk, ids[1])["id"] == called["id"]
    result["called"] = called["id"]

    withdrawn = issue(client, kiosk, "post")
    result["cancelled"] = act(client, clerk, withdrawn["id"], "cancel")["id"]

    result["waiting"] = issue(client, kiosk, "post")["id"]

    stale = issue(client, kiosk, "post")["id"]
    with app.app_context():
        ticket = db.session.get(Ticket, stale)
        ticket.status = TicketStatus.EXPIRED
        ticket.finished_at = utcnow()
        db.session.commit()
    result["expired"] = stale
    assert set(result) == {s.value for s in TicketStatus}
    return result


def _babol_ticket(client: FlaskClient, tokens: Tokens) -> int:
    response = client.post(
        "/api/v1/offices/babol/tickets",
        json={"service": "insurance"},
        headers=Tokens.header(tokens.other_kiosk),
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()["id"]
