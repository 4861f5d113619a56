"""Staffing advice over the API: managers only, a validated range, counters needed per hour."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from server.extensions import db
from server.models import Counter, Office, TicketStatus
from tests.conftest import Tokens
from tests.stats.history import counter_event, ticket

DAY = date(2025, 3, 20)
STAFFING = "/api/v1/offices/amol/staffing?from=2025-03-20&to=2025-03-20"


@pytest.fixture
def history(app: Flask) -> None:
    """Amol at 09:00 Tehran: six civil tickets served at counter 2, ten minutes each; the
    counter open 08:45–10:30 with a quarter-hour pause at 09:30."""
    with app.app_context():
        amol = db.session.scalar(select(Office).where(Office.code == "amol"))
        counter = db.session.scalar(
            select(Counter).where(Counter.office_id == amol.id, Counter.number == 2)
        )
        nine = datetime(2025, 3, 20, 5, 30, tzinfo=UTC)
        for n in range(6):
            issued = nine + timedelta(minutes=5 * n)
            called = issued + timedelta(minutes=2)
            ticket(
                db.session,
                amol,
                "civil",
                DAY,
                issued,
                TicketStatus.DONE,
                called=called,
                started=called,
                finished=called + timedelta(minutes=10),
                counter=counter,
            )
        for minutes, detail in ((-15, "open"), (30, "paused:prayer"), (45, "open"), (90, "closed")):
            counter_event(db.session, counter, nine + timedelta(minutes=minutes), detail, None)
        db.session.commit()


@pytest.mark.parametrize("caller", ["clerk", "kiosk", "display", "other_clerk"])
def test_only_managers_of_the_office_get_staffing_advice(
    client: FlaskClient, tokens: Tokens, caller: str
) -> None:
    answer = client.get(STAFFING, headers=tokens.header(getattr(tokens, caller)))
    assert answer.status_code == 403
    assert answer.get_json()["error"]["message"]


def test_a_manager_of_another_office_is_refused(client: FlaskClient, tokens: Tokens) -> None:
    answer = client.get(STAFFING.replace("amol", "babol"), headers=tokens.header(tokens.manager))
    assert answer.status_code == 403


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?from=2025-03-20",
        "?from=2025-03-21&to=2025-03-20",
        "?from=2024-01-01&to=2025-03-20",
        "?from=yesterday&to=2025-03-20",
        "?from=2025-03-20&to=2025-03-20&target_share=1.5",
    ],
)
def test_the_range_and_the_target_are_validated(
    client: FlaskClient, tokens: Tokens, query: str
) -> None:
    answer = client.get(
        f"/api/v1/offices/amol/staffing{query}", headers=tokens.header(tokens.manager)
    )
    assert answer.status_code == 422


def test_the_advice_gives_counters_needed_and_open_per_hour(
    client: FlaskClient, tokens: Tokens, history: None
) -> None:
    answer = client.get(STAFFING, headers=tokens.header(tokens.manager)).get_json()
    assert answer["range"] == {"from": "2025-03-20", "to": "2025-03-20"}
    assert answer["target_share"] == 0.8
    eight, nine, ten = answer["hours"]
    # A quarter of 08:00, three quarters of 09:00 (paused for one), half of 10:00.
    assert [(h["hour"], h["open"]) for h in answer["hours"]] == [(8, 0.25), (9, 0.75), (10, 0.5)]
    assert eight["needed"] == ten["needed"] == 0
    (civil,) = nine["services"]
    assert civil["service"] == "civil"
    assert (civil["arrivals_per_hour"], civil["mean_service_seconds"]) == (6.0, 600)
    # One erlang of load: two counters call 80 % within the target, one would not.
    assert nine["needed"] == civil["counters"] >= 2


def test_an_admin_reads_any_office_and_an_empty_range_has_no_hours(
    client: FlaskClient, tokens: Tokens
) -> None:
    answer = client.get(STAFFING.replace("amol", "babol"), headers=tokens.header(tokens.admin))
    assert answer.status_code == 200 and answer.get_json()["hours"] == []
