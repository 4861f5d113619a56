"""The ``nobat`` command as an operator uses it: migrate, seed, users, tokens, close the day."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy import create_engine, func, select

from server.app import create_app
from server.auth import Caller, principal_for
from server.cli import main
from server.config import TestingConfig
from server.engine.sessions import make_sessionmaker
from server.extensions import db
from server.models import (
    ApiToken,
    Counter,
    Office,
    Service,
    StaffSession,
    Ticket,
    TokenKind,
    User,
)
from tests.conftest import close
from tests.sign_in import sign_in


def nobat(app, *args: str, password: str | None = "demo-pass") -> str:
    """Run a ``nobat`` command against the test app, as an operator would type it."""
    env = {"NOBAT_DEMO_PASSWORD": password} if password else {}
    previous = os.environ.pop("NOBAT_DEMO_PASSWORD", None)
    try:
        result = app.test_cli_runner().invoke(main, list(args), env=env)
    finally:
        if previous is not None:
            os.environ["NOBAT_DEMO_PASSWORD"] = previous
    assert result.exit_code == 0, result.output + (result.stderr or "")
    return result.output


@pytest.fixture
def migrated(db_url, tmp_path):
    """The app on a database that only ``nobat db upgrade`` has prepared."""
    app = create_app(TestingConfig, {"SQLALCHEMY_DATABASE_URI": db_url, "INSTANCE": tmp_path})
    nobat(app, "db", "upgrade")
    yield app
    close(app)


def test_the_console_script_migrates_and_seeds_a_fresh_database(tmp_path):
    env = {
        **os.environ,
        "NOBAT_INSTANCE": str(tmp_path),
        "NOBAT_DATABASE_URL": f"sqlite:///{tmp_path}/fresh.db",
        "NOBAT_DEMO_PASSWORD": "pw",
    }
    for command in (["db", "upgrade"], ["seed-demo"]):
        result = subprocess.run(
            [sys.executable, "-m", "server.cli", *command],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
    assert "demo office: amol" in result.stdout


def test_seed_demo_creates_the_amol_office_once(migrated, db_url):
    first = nobat(migrated, "seed-demo")
    second = nobat(migrated, "seed-demo")
    assert "created users: admin, manager, clerk1, clerk2, clerk3, clerk4" in first
    assert "nothing changed" in second
    engine = create_engine(db_url)
    with engine.connect() as connection:
        office = connection.execute(select(Office.id, Office.name_fa)).one()
        assert office.name_fa == "دفتر پیشخوان خدمات دولت آمل"
        groups = set(connection.scalars(select(Service.group)))
        assert groups == {
            "insurance", "civil_registration", "post_bank", "postal", "telecom", "mobile", "tax"
        }  # fmt: skip
        assert connection.scalar(select(func.count()).select_from(Counter)) == 4
        assert connection.scalar(select(func.count()).select_from(User)) == 6
    engine.dispose()


def test_seed_demo_keeps_a_generated_password_where_only_its_owner_reads_it(migrated, tmp_path):
    output = nobat(migrated, "seed-demo", password=None)
    kept = tmp_path / "demo_password"
    password = kept.read_text().strip()
    assert f"their password: {password} (kept in {kept})" in output
    assert kept.stat().st_mode & 0o777 == 0o600
    assert "password" not in nobat(migrated, "seed-demo", password=None)


def test_tokens_are_printed_once_and_stored_only_as_hashes(migrated, db_url):
    nobat(migrated, "seed-demo")
    user_token = nobat(migrated, "token", "create", "--user", "clerk1").strip()
    kiosk_token = nobat(
        migrated, "token", "create", "--device", "kiosk", "--office", "amol"
    ).strip()
    engine = create_engine(db_url)
    with make_sessionmaker(engine)() as session:
        stored = session.scalars(select(ApiToken.token_hash)).all()
        assert user_token not in stored and kiosk_token not in stored
        assert principal_for(session, user_token).kind is TokenKind.USER
        kiosk = principal_for(session, kiosk_token)
        assert kiosk.kind is TokenKind.KIOSK
        assert kiosk.office_id == session.scalar(select(Office.id))
    engine.dispose()


def test_a_revoked_token_is_refused_and_no_longer_listed(migrated, db_url):
    nobat(migrated, "seed-demo")
    kiosk = nobat(
        migrated, "token", "create", "--device", "kiosk", "--office", "amol", "--name", "door"
    )
    clerk = nobat(migrated, "token", "create", "--user", "clerk1").strip()
    listed = nobat(migrated, "token", "list", "--office", "amol").splitlines()
    assert [line.split("\t")[1:4] for line in listed] == [
        ["kiosk", "amol", "door"],
        ["user", "clerk1", "-"],
    ]
    kiosk_id = listed[0].split("\t")[0]
    assert "revoked token" in nobat(migrated, "token", "revoke", kiosk_id)
    assert [line.split("\t")[1] for line in nobat(migrated, "token", "list").splitlines()] == [
        "user"
    ]
    engine = create_engine(db_url)
    with make_sessionmaker(engine)() as session:
        assert principal_for(session, kiosk.strip()) is None
        assert principal_for(session, clerk) is not None
    engine.dispose()
    again = migrated.test_cli_runner().invoke(main, ["token", "revoke", kiosk_id])
    assert again.exit_code == 1 and "no valid token" in again.output


def test_a_disabled_users_tokens_are_refused(migrated, db_url):
    nobat(migrated, "seed-demo")
    clerk = nobat(migrated, "token", "create", "--user", "clerk2").strip()
    assert "disabled clerk2" in nobat(migrated, "user", "disable", "clerk2")
    engine = create_engine(db_url)
    with make_sessionmaker(engine)() as session:
        assert principal_for(session, clerk) is None
    engine.dispose()


def test_user_add_creates_a_clerk_of_an_office(migrated):
    nobat(migrated, "seed-demo")
    result = migrated.test_cli_runner().invoke(
        main,
        ["user", "add", "clerk9", "--office", "amol"],
        env={"NOBAT_USER_PASSWORD": "long enough"},
    )
    assert "added clerk clerk9" in result.output


def test_a_username_may_be_persian(migrated):
    nobat(migrated, "seed-demo")
    result = migrated.test_cli_runner().invoke(
        main,
        ["user", "add", "رضا.کریمی", "--office", "amol"],
        env={"NOBAT_USER_PASSWORD": "long enough"},
    )
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("username", "password", "complaint"),
    [
        ("", "long enough", "USERNAME"),
        ("two words", "long enough", "USERNAME"),
        ("-dash", "long enough", "USERNAME"),
        ("x" * 65, "long enough", "USERNAME"),
        ("clerk9", "", "password"),
        ("clerk9", "short", "password"),
        ("clerk9", "        ", "password"),
    ],
    ids=["empty name", "space", "leading dash", "too long", "empty password", "short", "blanks"],
)
def test_user_add_refuses_a_bad_name_or_a_weak_password(migrated, username, password, complaint):
    nobat(migrated, "seed-demo")
    with migrated.app_context():
        users = db.session.scalar(select(func.count()).select_from(User))
    result = migrated.test_cli_runner().invoke(
        main,
        ["user", "add", "--office", "amol", "--password", password, "--", username],
    )
    assert result.exit_code == 2, result.output
    assert complaint in result.output, result.output
    with migrated.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == users


@pytest.mark.parametrize(
    "args",
    [
        ["token", "create"],
        ["token", "create", "--device", "kiosk"],
        ["token", "create", "--user", "nobody"],
        ["token", "create", "--device", "kiosk", "--office", "nowhere"],
    ],
    ids=["nothing", "device without office", "unknown user", "unknown office"],
)
def test_token_create_explains_what_is_missing(migrated, args):
    nobat(migrated, "seed-demo")
    result = migrated.test_cli_runner().invoke(main, args)
    assert result.exit_code != 0
    assert "Error" in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_close_day_reports_how_many_tickets_expired(migrated):
    nobat(migrated, "seed-demo")
    assert "expired 0 tickets" in nobat(migrated, "close-day")


def test_a_counter_devices_token_is_bound_to_its_counter(migrated, db_url):
    nobat(migrated, "seed-demo")
    secret = nobat(
        migrated, "token", "create", "--device", "counter", "--office", "amol", "--counter", "2"
    ).strip()
    engine = create_engine(db_url)
    with make_sessionmaker(engine)() as session:
        principal = principal_for(session, secret)
        counter = session.get(Counter, principal.counter_id)
        assert (principal.kind, principal.caller) == (TokenKind.COUNTER, Caller.COUNTER)
        assert counter.number == 2 and principal.office_id == counter.office_id
    engine.dispose()
    assert "\tcounter\tamol counter 2\t" in nobat(migrated, "token", "list")


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (["--device", "counter", "--office", "amol"], "--counter NUMBER"),
        (["--device", "counter", "--office", "amol", "--counter", "9"], "no counter 9"),
        (["--device", "kiosk", "--office", "amol", "--counter", "1"], "--counter is for counter"),
    ],
    ids=["no counter", "unknown counter", "counter for a kiosk"],
)
def test_token_create_for_a_counter_needs_one_of_the_office(migrated, args, complaint):
    nobat(migrated, "seed-demo")
    result = migrated.test_cli_runner().invoke(main, ["token", "create", *args])
    assert result.exit_code != 0
    assert complaint in result.stderr


@pytest.mark.parametrize("device", ["kiosk", "display"])
def test_device_link_prints_a_one_time_link_that_pairs_the_device(migrated, device):
    nobat(migrated, "seed-demo")
    result = migrated.test_cli_runner().invoke(
        main, ["device", "link", "--device", device, "--office", "amol", "--url", "http://pc:80"]
    )
    assert result.exit_code == 0, result.output
    link = result.stdout.strip()
    prefix = f"http://pc:80/{device}/amol#link="
    assert link.startswith(prefix)
    assert "within 12 hours" in result.stderr
    client = migrated.test_client()
    claim = {"code": link.removeprefix(prefix)}
    assert client.post("/api/v1/devices/claim", json=claim).status_code == 201
    assert client.post("/api/v1/devices/claim", json=claim).status_code == 410


def test_device_link_is_for_kiosks_and_displays(migrated):
    nobat(migrated, "seed-demo")
    result = migrated.test_cli_runner().invoke(
        main, ["device", "link", "--device", "counter", "--office", "amol"]
    )
    assert result.exit_code == 2


@pytest.fixture
def served(monkeypatch) -> list[tuple[str, int]]:
    """``nobat demo`` runs up to the server, which is not started."""
    calls: list[tuple[str, int]] = []
    monkeypatch.setattr("server.serving.serve", lambda host, port: calls.append((host, port)))
    return calls


# The demo's history (14 simulated days by default) took 30 s to 2.5 min a run, and these
# tests are about what the demo says and links, not about the days it simulates. The
# history is filled once per database in test_demo_fills_a_day_of_history_only_the_first_time
# (the simulator itself: tests/simulate); the others ask for none.
NO_HISTORY = ("--history-days", "0")


def test_demo_ends_by_saying_where_each_page_is_and_how_to_sign_in(migrated, served):
    output = nobat(migrated, "demo", "--port", "5123", *NO_HISTORY, password="demo-pass")
    assert served == [("127.0.0.1", 5123)]
    base = "http://127.0.0.1:5123"
    assert row(output, "start page") == f"{base}/"
    assert row(output, "kiosk").startswith(f"{base}/kiosk/amol#link=")
    assert row(output, "wall display").startswith(f"{base}/display/amol#link=")
    assert row(output, "staff sign-in") == (
        f"{base}/login   as admin, manager, clerk1, clerk2, clerk3, clerk4; password: demo-pass"
    )
    assert row(output, "counter page") == f"{base}/counter/amol   (sign in as clerk1 … clerk4)"
    assert row(output, "dashboard") == (
        f"{base}/manager/amol   (sign in as manager; admin: {base}/manager)"
    )
    assert row(output, "set-up") == (
        f"{base}/admin   (offices, services, counters, staff, devices: admin, manager)"
    )


def row(output: str, label: str) -> str:
    """What ``nobat demo`` says after ``label``."""
    line = next(line.strip() for line in output.splitlines() if line.strip().startswith(label))
    return line.removeprefix(label).strip()


def test_demo_prints_the_generated_password_on_every_run(migrated, served, tmp_path):
    first = nobat(migrated, "demo", *NO_HISTORY, password=None)
    password = (tmp_path / "demo_password").read_text().strip()
    again = nobat(migrated, "demo", *NO_HISTORY, password=None)
    assert f"password: {password}" in first
    assert f"password: {password}" in again
    assert "users already exist" in again


def test_the_demos_links_pair_a_kiosk_and_a_display_once_each(migrated, served):
    output = nobat(migrated, "demo", *NO_HISTORY)
    codes = [word.split("#link=")[1] for word in output.split() if "#link=" in word]
    assert len(codes) == 2
    client = migrated.test_client()
    kinds = [
        client.post("/api/v1/devices/claim", json={"code": code}).get_json()["kind"]
        for code in codes
    ]
    assert kinds == ["kiosk", "display"]


def test_demo_on_every_interface_prints_an_address_others_can_open(migrated, served):
    output = nobat(migrated, "demo", "--host", "0.0.0.0", *NO_HISTORY)
    assert "http://0.0.0.0" not in output
    assert served == [("0.0.0.0", 5000)]


def test_demo_fills_a_day_of_history_only_the_first_time(migrated, served, db_url):
    first = nobat(migrated, "demo", "--history-days", "1")
    made = row(first, "demo history:")
    assert made.startswith("amol: simulated 1 days, "), made
    again = nobat(migrated, "demo", "--history-days", "1")
    assert "demo history: the office has some already; nothing simulated" in again
    assert served == [("127.0.0.1", 5000)] * 2
    engine = create_engine(db_url)
    with engine.connect() as connection:
        days = connection.scalar(select(func.count(func.distinct(Ticket.business_date))))
    engine.dispose()
    assert days == 1


def test_disabling_a_user_ends_their_sign_ins(migrated):
    nobat(migrated, "seed-demo")
    client = migrated.test_client()
    assert sign_in(client, "clerk1", "demo-pass").status_code == 303
    assert "ended 1 sign-ins" in nobat(migrated, "user", "disable", "clerk1")
    with migrated.app_context():
        assert db.session.scalars(select(StaffSession.ended_at)).one() is not None
