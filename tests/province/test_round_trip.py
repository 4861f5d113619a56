"""Export, import into an empty database, export again: the same bytes, in every format."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from harness import builders
from server import province
from server.database import Base
from server.models import ManagerOffice, Office, Role, Service, User
from server.passwords import check_password
from server.seed import seed_demo
from tests.province.helpers import contents, import_file


def furnish(session: Session) -> None:
    """The demo office, and around it what a province holds besides: a second office on
    another policy and time zone, hours, a cap, a service switched off, a third tier, a
    regional manager, a disabled user and a Persian user name."""
    seed_demo(session, "demo-pass")
    sari = builders.office(session, "sari", (("passport", "P"), ("tolls", "T")), "Asia/Kabul")
    sari.routing_policy = "fifo"
    passport = session.scalar(select(Service).where(Service.code == "passport"))
    passport.opens_at, passport.closes_at, passport.daily_cap = time(8), time(13, 30), 60
    session.scalar(select(Service).where(Service.code == "tolls")).active = False
    builders.counter(session, sari, 1, {"passport": 1, "tolls": 3})
    regional = builders.user(session, "regional", Role.MANAGER, sari)
    amol = session.scalar(select(Office).where(Office.code == "amol"))
    session.add(ManagerOffice(user_id=regional.id, office_id=amol.id))
    builders.user(session, "gone", Role.CLERK, sari).active = False
    builders.user(session, "زهرا", Role.CLERK, amol).full_name = "زهرا احمدی"
    session.commit()


def empty(session: Session, engine: Engine) -> None:
    session.close()
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)


@pytest.mark.parametrize("name", ["province.yaml", "province.zip", "province/"])
def test_export_then_import_into_an_empty_database_is_the_identity(
    session: Session, engine: Engine, tmp_path: Path, name: str
):
    furnish(session)
    (tmp_path / "first").mkdir()
    first = f"{tmp_path}/first/{name}"  # a folder is named with its final /
    province.write_path(first, province.load(session).province())
    empty(session, engine)

    outcome = import_file(session, first)

    assert outcome.applied
    assert outcome.plan.summary()["office"] == {
        "create": 2, "change": 0, "unchanged": 0, "left_alone": 0
    }  # fmt: skip
    (tmp_path / "again").mkdir()
    again = f"{tmp_path}/again/{name}"
    province.write_path(again, province.load(session).province())
    for before in sorted(Path(tmp_path / "first").rglob("*.*")):
        after = tmp_path / "again" / before.relative_to(tmp_path / "first")
        assert after.read_bytes() == before.read_bytes(), before.name


def test_importing_its_own_export_changes_nothing(session: Session, tmp_path: Path):
    furnish(session)
    path = str(tmp_path / "province.yaml")
    province.write_path(path, province.load(session).province())
    before = contents(session)

    outcome = import_file(session, path)

    assert outcome.plan.changes == []
    assert outcome.plan.unchanged == {"office": 2, "service": 11, "counter": 5, "user": 9}
    assert contents(session) == before


def test_the_export_holds_the_province_and_no_password(session: Session, tmp_path: Path):
    furnish(session)
    text = province.export(province.load(session).province(), "yaml").decode()

    assert "demo-pass" not in text and "scrypt" not in text and "password:" not in text
    assert "  opens_at: 08:00\n" in text
    assert "  closes_at: 13:30\n" in text
    assert "  daily_cap: 60\n" in text
    assert "  timezone: Asia/Kabul\n  routing_policy: fifo\n" in text
    assert "offices: [sari, amol]" in text  # the regional manager: their own office first
    assert "      tolls: 3\n" in text


def test_imported_users_get_passwords_that_sign_them_in(session: Session, engine: Engine, tmp_path):
    furnish(session)
    path = str(tmp_path / "province.zip")
    province.write_path(path, province.load(session).province())
    empty(session, engine)

    outcome = province.run(session, province.read_path(path), dry_run=False)

    assert sorted(outcome.passwords) == sorted(
        ["admin", "manager", "clerk1", "clerk2", "clerk3", "clerk4", "regional", "gone", "زهرا"]
    )
    users = dict(session.execute(select(User.username, User.password_hash)).all())
    assert not any(password in users[name] for name, password in outcome.passwords.items())
    for name in ("admin", "regional", "زهرا"):  # scrypt is slow on purpose: a few suffice
        assert check_password(users[name], outcome.passwords[name])
    assert len(set(outcome.passwords.values())) == len(outcome.passwords)
    regional = session.scalar(select(User).where(User.username == "regional"))
    assert regional.office.code == "sari"
    region = session.scalars(
        select(Office.code).join(ManagerOffice).where(ManagerOffice.user_id == regional.id)
    )
    assert list(region) == ["amol"]
