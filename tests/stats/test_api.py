"""The statistics API: who may ask, what is validated, and files holding the API's numbers."""

from __future__ import annotations

import csv
import io
import json
import threading
from datetime import UTC, date, datetime, timedelta

import openpyxl
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from harness import builders
from server import stats
from server.api.context import reading
from server.cli import main
from server.extensions import db
from server.models import ManagerOffice, Office, Role, Service, TicketStatus, User
from tests.conftest import Tokens
from tests.stats.history import ticket

DAY = date(2025, 3, 20)
STATS = "/api/v1/offices/amol/stats?from=2025-03-20&to=2025-03-21"


@pytest.fixture
def history(app: Flask, tokens: Tokens) -> None:
    """In amol: two served tickets and a no-show; in babol: one cancelled ticket."""
    with app.app_context():
        amol, babol = (
            db.session.scalar(select(Office).where(Office.code == code))
            for code in ("amol", "babol")
        )
        nine = datetime(2025, 3, 20, 5, 30, tzinfo=UTC)
        for wait, status in (
            (60, TicketStatus.DONE),
            (300, TicketStatus.DONE),
            (90, TicketStatus.NO_SHOW),
        ):
            called = nine + timedelta(seconds=wait)
            ticket(
                db.session,
                amol,
                "civil",
                DAY,
                nine,
                status,
                called=called,
                started=called if status is TicketStatus.DONE else None,
                finished=called + timedelta(minutes=5),
            )
        ticket(db.session, babol, "insurance", DAY, nine, TicketStatus.CANCELLED, finished=nine)
        db.session.commit()


def _user(app: Flask, name: str, office: str, *, also: tuple[str, ...] = ()) -> str:
    """A bearer token of a new manager of ``office`` who also oversees ``also``."""
    with app.app_context():
        offices = {o.code: o for o in db.session.scalars(select(Office))}
        user = builders.user(db.session, name, Role.MANAGER, offices[office])
        db.session.add_all(ManagerOffice(user_id=user.id, office_id=offices[c].id) for c in also)
        token = builders.auth.create_token(db.session, user=user)
        db.session.commit()
    return token


def test_a_manager_gets_the_totals_by_their_contract_names(
    client: FlaskClient, tokens: Tokens, history: None
) -> None:
    totals = client.get(STATS, headers=tokens.header(tokens.manager)).get_json()["totals"]
    assert (
        totals["served"],
        totals["no_show"],
        totals["cancelled"],
        totals["transferred"],
        totals["expired"],
    ) == (2, 1, 0, 0, 0)
    assert totals["wait"] == {"count": 3, "mean": 150, "median": 90, "p90": 258}
    assert totals["service"]["median"] == 300 and set(totals["walk_up"]) >= {
        "mean",
        "median",
        "p90",
    }


@pytest.mark.parametrize("who", ["clerk", "kiosk", "display", "other_clerk"])
def test_clerks_and_devices_are_refused(client: FlaskClient, tokens: Tokens, who: str) -> None:
    response = client.get(STATS, headers=tokens.header(getattr(tokens, who)))
    assert response.status_code == 403
    assert response.get_json()["error"]["message"] == "فقط مدیران آمار را می‌بینند"


def test_a_manager_of_another_office_is_refused_and_an_administrator_is_not(
    app: Flask, client: FlaskClient, tokens: Tokens
) -> None:
    babol_manager = _user(app, "babol-manager", "babol")
    assert client.get(STATS, headers=tokens.header(babol_manager)).status_code == 403
    assert client.get(STATS, headers=tokens.header(tokens.admin)).status_code == 200


def test_a_regional_manager_sees_each_office_of_their_region(
    app: Flask, client: FlaskClient, tokens: Tokens, history: None
) -> None:
    regional = _user(app, "mazandaran", "amol", also=("babol",))
    assert (
        client.get(STATS.replace("amol", "babol"), headers=tokens.header(regional)).status_code
        == 200
    )
    region = client.get(
        "/api/v1/stats?from=2025-03-20&to=2025-03-20&by=office", headers=tokens.header(regional)
    )
    groups = region.get_json()["groups"]
    assert [(g["key"]["office"], g["tickets"]) for g in groups] == [("amol", 3), ("babol", 1)]
    assert region.get_json()["totals"]["tickets"] == 4
    # A plain office manager sees only their own office in the regional view, and no other.
    own = client.get(
        "/api/v1/stats?from=2025-03-20&to=2025-03-20", headers=tokens.header(tokens.manager)
    )
    assert own.get_json()["totals"]["tickets"] == 3
    other = client.get(
        "/api/v1/stats?from=2025-03-20&to=2025-03-20&offices=babol",
        headers=tokens.header(tokens.manager),
    )
    assert other.status_code == 403


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?from=2025-03-20",
        "?from=2025-13-01&to=2025-03-21",
        "?from=2025-03-21&to=2025-03-20",
        "?from=2024-01-01&to=2025-03-21",
        "?from=2025-03-20&to=2025-03-21&by=year",
        "?from=2025-03-20&to=2025-03-21&lang=de",
        # Before Jalali labels exist (a 500 the API fuzzing found), and past what a report
        # of an office's days can mean.
        "?from=0001-01-01&to=0001-01-01",
        "?from=1999-12-31&to=2000-01-01",
        "?from=9999-12-31&to=9999-12-31",
    ],
)
def test_bad_queries_are_answered_with_a_422(
    client: FlaskClient, tokens: Tokens, query: str
) -> None:
    response = client.get(
        f"/api/v1/offices/amol/stats{query}", headers=tokens.header(tokens.manager)
    )
    assert response.status_code == 422
    assert set(response.get_json()["error"]) >= {"code", "message"}


def test_an_unknown_office_is_a_404(client: FlaskClient, tokens: Tokens) -> None:
    response = client.get(STATS.replace("amol", "nowhere"), headers=tokens.header(tokens.admin))
    assert response.status_code == 404
    regional = client.get(
        "/api/v1/stats?from=2025-03-20&to=2025-03-20&offices=nowhere",
        headers=tokens.header(tokens.admin),
    )
    assert regional.status_code == 404


@pytest.mark.parametrize("offices", ["amol%00", "AMOL", "amol;sari", "%C3%B6"])
def test_office_codes_of_a_regional_report_are_checked_before_any_query(
    client: FlaskClient, tokens: Tokens, offices: str
) -> None:
    """A NUL byte reached PostgreSQL and was a 500 (found by the API fuzzing)."""
    response = client.get(
        f"/api/v1/stats.xlsx?from=2025-03-20&to=2025-03-20&offices={offices}",
        headers=tokens.header(tokens.admin),
    )
    assert response.status_code == 422
    assert "offices" in response.get_json()["error"]["details"]["query"]


def test_csv_and_xlsx_hold_the_api_numbers(
    client: FlaskClient, tokens: Tokens, history: None
) -> None:
    header = tokens.header(tokens.manager)
    api = client.get(STATS + "&by=day", headers=header).get_json()
    day = api["groups"][0]
    text = client.get(STATS.replace("/stats?", "/stats.csv?") + "&by=day", headers=header)
    assert text.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(text.data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["تاریخ", "تاریخ میلادی", "نوبت‌ها"]
    assert rows[2][:4] == ["۱۴۰۳/۱۲/۳۰", "2025-03-20", str(day["tickets"]), str(day["served"])]
    book = client.get(STATS.replace("/stats?", "/stats.xlsx?") + "&by=day&lang=en", headers=header)
    sheet = openpyxl.load_workbook(io.BytesIO(book.data)).active
    values = list(sheet.iter_rows(values_only=True))
    wait_mean = values[0].index("Wait mean (s)")
    assert values[0][:2] == ("Jalali date", "Date")
    assert values[1][wait_mean] == api["totals"]["wait"]["mean"]
    assert values[2][:2] == ("1403/12/30", "2025-03-20")
    assert values[2][wait_mean] == day["wait"]["mean"]
    assert values[2][values[0].index("Wait p90 (s)")] == day["wait"]["p90"] == 258


def test_names_starting_like_a_formula_are_exported_as_text(
    app: Flask, client: FlaskClient, tokens: Tokens, history: None
) -> None:
    formula = '=HYPERLINK("http://evil.example","x")'
    with app.app_context():
        civil = db.session.scalar(select(Service).where(Service.code == "civil"))
        civil.name_fa = civil.name_en = formula
        db.session.commit()
    header = tokens.header(tokens.manager)
    query = "&by=service&lang=en"
    text = client.get(STATS.replace("/stats?", "/stats.csv?") + query, headers=header)
    cells = [c for row in csv.reader(io.StringIO(text.data.decode("utf-8-sig"))) for c in row]
    assert "'" + formula in cells and formula not in cells
    book = client.get(STATS.replace("/stats?", "/stats.xlsx?") + query, headers=header)
    sheet = openpyxl.load_workbook(io.BytesIO(book.data)).active
    named = [c for row in sheet.iter_rows() for c in row if c.value == "'" + formula]
    assert named and all(c.data_type == "s" for c in named)


def test_user_add_gives_a_manager_a_region(app: Flask, tokens: Tokens) -> None:
    result = app.test_cli_runner().invoke(
        main,
        ["user", "add", "sari", "--role", "manager", "--office", "amol,babol"],
        env={"NOBAT_USER_PASSWORD": "a long password"},
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "sari"))
        region = db.session.scalars(
            select(ManagerOffice.office_id).where(ManagerOffice.user_id == user.id)
        )
        assert user.office.code == "amol" and len(list(region)) == 1
    clerk = app.test_cli_runner().invoke(
        main,
        ["user", "add", "two", "--role", "clerk", "--office", "amol,babol"],
        env={"NOBAT_USER_PASSWORD": "a long password"},
    )
    assert clerk.exit_code != 0 and "only a manager" in clerk.output


def test_a_report_being_read_holds_up_no_ticket_issue(app: Flask, tokens: Tokens) -> None:
    """On SQLite a transaction that may write takes the write lock as it begins; statistics
    read in a snapshot instead, so kiosks keep issuing through a long report."""
    issued = threading.Event()

    def issue() -> None:
        with app.app_context():
            office = db.session.scalar(select(Office).where(Office.code == "amol"))
            ticket(db.session, office, "civil", DAY, datetime.now(UTC), TicketStatus.WAITING)
            db.session.commit()
            issued.set()

    with app.test_request_context(), reading() as reader:
        reader.scalar(select(func.count()).select_from(Office))
        writer = threading.Thread(target=issue, daemon=True)
        writer.start()
        assert issued.wait(10), "the ticket waited for the report to end"
    writer.join()


@pytest.mark.parametrize("by", [None, "counter", "weekday_hour"])
def test_the_answer_is_the_whole_report_as_the_openapi_document_names_it(
    app: Flask, client: FlaskClient, tokens: Tokens, history: None, by: str | None
) -> None:
    query = STATS + (f"&by={by}" if by else "")
    answer = client.get(query, headers=tokens.header(tokens.manager)).get_json()
    with app.app_context():
        amol = db.session.scalar(select(Office).where(Office.code == "amol"))
        scope = stats.Scope(
            [stats.OfficeInScope(amol.id, amol.code, amol.name_fa, amol.name_en, amol.timezone)],
            stats.DateRange(DAY, DAY + timedelta(days=1)),
        )
        whole = stats.report(db.session, scope, by, datetime.now(UTC))
    assert answer == json.loads(json.dumps(whole))
    document = client.get("/api/v1/openapi.json").get_json()
    answered = document["paths"]["/api/v1/offices/{office}/stats"]["get"]["responses"]["200"]
    assert answered["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Report"
    }
    kpis = document["components"]["schemas"]["Kpis"]["properties"]
    assert {"served", "no_show", "cancelled", "transferred", "expired"} <= set(kpis)
    assert {"wait", "walk_up", "service"} <= set(kpis)
    summary = document["components"]["schemas"]["Summary"]["properties"]
    assert set(summary) == {"count", "mean", "median", "p90"}
