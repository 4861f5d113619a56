"""Every operation of the OpenAPI document, fuzzed by schemathesis: never a 5xx, and every
answer as the document describes it (a documented status, content type, headers, body).

The document is the app's own (/api/v1/openapi.json), read at collection: each operation
is a test, on SQLite and on PostgreSQL like the other API tests. Each gets schemathesis'
coverage cases (the schema's boundaries, valid and invalid, and a method it does not
declare) and ``EXAMPLES`` fuzzed requests, valid and invalid, in the API tests' world
(``tests/api/conftest.py``), built for this module alone as the fuzzing changes it.

Requests come from a caller the operation admits (its ``x-roles``) or, one time in three,
from anyone (another office's staff, a role not named). Three times in four a parameter or
body field gets a real value of its name (an office, a ticket, a service, …), so that the
requests get past the 404s. Both choices follow from the generated request itself, so
Hypothesis replays a request exactly when it shrinks a failure.

``make test`` runs it; Hypothesis' CI profile makes CI run the same requests every time.
"""

from __future__ import annotations

import json
import random
import zlib
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, settings
from schemathesis import BaseSchema, Case, CheckContext, Response
from schemathesis.config import SchemathesisConfig
from schemathesis.core.parameters import ParameterLocation
from sqlalchemy import select

from harness import builders
from server.app import create_app
from server.config import TestingConfig
from server.engine.clock import business_date, utcnow
from server.extensions import db
from server.models import Counter, PrintJob, Ticket
from tests.api.conftest import DATABASES, World, build_world, database_url
from tests.conftest import close

pytestmark = pytest.mark.fuzz

#: Fuzzed requests per operation, besides its coverage cases.
EXAMPLES = 15

CONFIG = SchemathesisConfig.from_dict(
    {
        # The test sends its callers' tokens itself: generated (and mutated) credentials
        # would only be refused with 401, whatever the rest of the request.
        "generation": {"with-security-parameters": False},
        # A method a path does not declare is a 405 with Allow (checked by
        # `unsupported_method`); one such method per path says as much as six.
        "phases": {"coverage": {"unexpected-methods": ["DELETE"]}},
        "checks": {
            # Schema-valid input may still be refused with 422 where the API checks more
            # than OpenAPI 3.0 can say: a ticket number's form, a date range's order and
            # length, quiet hours that are not empty.
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "401", "403", "404", "409", "410", "422"]
            },
        },
    }
)


class Served:
    """The WSGI app schemathesis calls: it passes each request on to the module's app."""

    def __init__(self) -> None:
        self.app: Flask | None = None
        #: bearer tokens by caller: office amol's roles and devices, and babol's staff
        self.callers: dict[str, str] = {}
        #: real values of parameters and body fields, by name
        self.real: dict[str, list[Any]] = {}

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        assert self.app is not None, "no app is served here outside the `served` fixture"
        return self.app(environ, start_response)


SERVED = Served()


def _schema() -> BaseSchema:
    """The app's OpenAPI document (no database needed to serve it)."""
    SERVED.app = create_app(TestingConfig, {"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    try:
        return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", SERVED, config=CONFIG)
    finally:
        close(SERVED.app)
        SERVED.app = None


schema = _schema()


@pytest.fixture(scope="module", params=DATABASES)
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    """The world of the API tests on a database of its own, and a counter device at amol's
    counter 1, served."""
    for url in database_url(request, tmp_path_factory):
        yield from _serve(build_world(url))


def _serve(world: World) -> Iterator[Served]:
    with world.app.app_context():
        s = db.session
        device = builders.counter_token(s, s.get(Counter, world.counters[1]))
        s.commit()
        today = business_date("Asia/Tehran", utcnow())
        SERVED.real = {
            "office": ["amol", "babol"],
            "offices": ["amol", "amol,babol"],
            "counter": [*world.counters.values(), world.babol_counter],
            "ticket": list(s.scalars(select(Ticket.id))),
            "job": list(s.scalars(select(PrintJob.id))),
            "service": ["insurance", "civil", "post", "tax"],
            "number": list(s.scalars(select(Ticket.number))),
            "from": [str(today - timedelta(days=30)), str(today)],
            "to": [str(today)],
        }
    tokens = world.tokens
    SERVED.callers = {
        "admin": tokens.admin,
        "manager": tokens.manager,
        "clerk": tokens.clerk,
        "kiosk": tokens.kiosk,
        "display": tokens.display,
        "counter": device,
        "babol clerk": tokens.other_clerk,
        "babol kiosk": tokens.other_kiosk,
    }
    SERVED.app = world.app
    yield SERVED
    SERVED.app = None
    close(world.app)


def documented_status(ctx: CheckContext, response: Response, case: Case) -> None:
    """The status is one the operation lists: ``default`` alone does not document it."""
    if case.method.upper() != case.operation.method.upper():
        return  # a method the path does not declare: 405, as `unsupported_method` checks
    responses = case.operation.definition.raw["responses"]
    status = str(response.status_code)
    if status not in responses and f"{status[0]}XX" not in responses:
        raise AssertionError(f"{case.operation.label} answered {status}, not documented for it")


def _dice(case: Case) -> random.Random:
    """Choices that follow from the generated request: the same request, the same choices."""
    generated = [case.path_parameters, case.query, case.body, case.headers]
    text = json.dumps(generated, sort_keys=True, default=_shown)
    return random.Random(zlib.crc32(text.encode()))


def _shown(value: Any) -> str:
    """What JSON cannot hold, as the same text in every run (no object addresses)."""
    return value.hex() if isinstance(value, bytes) else type(value).__name__


def _caller(case: Case, dice: random.Random, callers: dict[str, str]) -> str:
    """A caller the operation admits, or one time in three anyone."""
    admitted = case.operation.definition.raw.get("x-roles") or sorted(callers)
    return callers[dice.choice(sorted(callers) if dice.randrange(3) == 0 else admitted)]


def _some_real(case: Case, dice: random.Random, real: dict[str, list[Any]]) -> None:
    """Three times in four, a path or query parameter or a body field gets a real value of
    its name; not where a negative case is invalid, as it must stay invalid there. In a
    path, ``number`` is a counter's (``/counters/3``); elsewhere a ticket's (``B-007``)."""
    in_path = {**real, "number": [1, 2, 3, 4]}
    for location, values, known in (
        (ParameterLocation.PATH, case.path_parameters, in_path),
        (ParameterLocation.QUERY, case.query, real),
        (ParameterLocation.BODY, case.body if isinstance(case.body, dict) else None, real),
    ):
        if not values or (case.meta is not None and case.meta.is_negative_at(location)):
            continue
        for name in values:
            if known.get(name) and dice.randrange(4) != 0:
                values[name] = dice.choice(known[name])


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_every_operation_answers_as_documented(case: Case, served: Served) -> None:
    dice = _dice(case)
    headers = {"Authorization": f"Bearer {_caller(case, dice, served.callers)}"}
    _some_real(case, dice, served.real)
    response = case.call(headers=headers)
    case.validate_response(response, headers=headers, additional_checks=[documented_status])


def test_each_operation_is_a_test_of_its_own(request: pytest.FixtureRequest) -> None:
    # pytest 9.2 names schemathesis' tests by the function alone unless they are
    # parametrized (here by the database): pytest-xdist then ran one operation, not all.
    names = [
        item.nodeid
        for item in request.session.items
        if getattr(item, "originalname", "").startswith("test_every_operation")
    ]
    assert len(names) == len(set(names)), "operations share a test id"
