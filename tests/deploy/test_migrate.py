"""The entry point's database step: bounded waits, one migration however many start at once."""

from __future__ import annotations

import contextlib
import importlib.util
import time

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.pool import NullPool

from harness import services
from harness.processes import free_port, wait_until
from server.config import Config
from tests.deploy import helpers

SCRIPTS = ScriptDirectory(str(Config.MIGRATIONS))
HEAD = SCRIPTS.get_current_head()
REVISIONS = len(list(SCRIPTS.walk_revisions()))
WAITING = "another process holds the migration lock"


def _migrate_module():
    spec = importlib.util.spec_from_file_location("nobat_deploy_migrate", helpers.MIGRATE)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def migrate_step(name: str, tmp_path, **env: str) -> helpers.Process:
    """``deploy/entrypoint.sh migrate`` as a container would run it."""
    return helpers.Process(
        name,
        [str(helpers.ENTRYPOINT), "migrate"],
        helpers.process_env(NOBAT_INSTANCE=str(tmp_path / "instance"), **env),
        tmp_path / f"{name}.log",
    ).start()


def test_sqlite_is_migrated_and_seeded_without_a_lock(tmp_path):
    url = f"sqlite:///{tmp_path / 'nobat.sqlite3'}"
    step = migrate_step("migrate", tmp_path, NOBAT_DATABASE_URL=url, NOBAT_SEED_DEMO="1")
    try:
        assert step.wait(60) == 0, step.output()
    finally:
        step.stop()
    assert "migration lock" not in step.output()
    engine = create_engine(url, poolclass=NullPool)
    with engine.connect() as connection:
        assert connection.scalar(text("SELECT version_num FROM alembic_version")) == HEAD
        assert connection.scalar(text("SELECT count(*) FROM offices WHERE code = 'amol'")) == 1
    engine.dispose()


def test_an_unreachable_database_is_given_up_on_with_a_clear_message(tmp_path):
    url = f"postgresql+psycopg://nobat:hunter2@127.0.0.1:{free_port()}/nobat"
    started = time.monotonic()
    step = migrate_step("migrate", tmp_path, NOBAT_DATABASE_URL=url, NOBAT_DB_WAIT_SECONDS="2")
    try:
        assert step.wait(30) == 1
    finally:
        step.stop()
    output = step.output()
    assert time.monotonic() - started < 20
    assert "waiting for the database at postgresql+psycopg://nobat:***@127.0.0.1:" in output
    assert "is not reachable after" in output and "giving up" in output, output
    assert "hunter2" not in output
    assert "Traceback" not in output


def test_other_commands_run_as_given_from_the_project_root(tmp_path):
    done = helpers.run(
        [str(helpers.ENTRYPOINT), "sh", "-c", "pwd; ls gunicorn.conf.py"], env=helpers.process_env()
    )
    assert done.splitlines() == [str(helpers.REPO), "gunicorn.conf.py"]


def test_the_lock_key_is_a_64_bit_integer():
    key = _migrate_module().LOCK_KEY
    assert -(2**63) <= key < 2**63


@pytest.fixture
def postgres_database():
    with contextlib.contextmanager(services.fresh_postgres_database)() as url:
        yield url


@pytest.mark.postgres
@pytest.mark.slow
def test_app_containers_starting_together_migrate_once(tmp_path, postgres_database):
    """Two entry points start while a third party (this test) holds the lock: both wait,
    then one migrates and seeds, the other finds the work done; both succeed."""
    url = postgres_database
    engine = create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    key = _migrate_module().LOCK_KEY
    steps: list[helpers.Process] = []
    try:
        with engine.connect() as holder:
            assert holder.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": key})
            steps = [
                migrate_step(name, tmp_path, NOBAT_DATABASE_URL=url, NOBAT_SEED_DEMO="1")
                for name in ("app1", "app2")
            ]
            wait_until(
                lambda: all(WAITING in s.output() for s in steps), "both to wait for the lock", 30
            )
            assert all(s.running for s in steps)
            assert "alembic_version" not in inspect(holder).get_table_names()
            holder.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
            for step in steps:
                assert step.wait(90) == 0, step.output()
    finally:
        for step in steps:
            step.stop()
    outputs = [s.output() for s in steps]
    # One process ran every migration, the other none.
    assert sorted(o.count("Running upgrade ") for o in outputs) == [0, REVISIONS], outputs
    assert sum(o.count("created users:") for o in outputs) == 1, outputs
    assert all("the database is up to date" in o for o in outputs), outputs
    with engine.connect() as connection:
        assert connection.scalar(text("SELECT version_num FROM alembic_version")) == HEAD
        assert connection.scalar(text("SELECT count(*) FROM offices WHERE code = 'amol'")) == 1
    engine.dispose()


@pytest.mark.postgres
def test_a_stuck_lock_is_waited_for_a_bounded_time(tmp_path, postgres_database):
    engine = create_engine(postgres_database, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    key = _migrate_module().LOCK_KEY
    with engine.connect() as holder:
        assert holder.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": key})
        step = migrate_step(
            "app1", tmp_path, NOBAT_DATABASE_URL=postgres_database, NOBAT_MIGRATE_LOCK_SECONDS="1"
        )
        try:
            assert step.wait(30) == 1
        finally:
            step.stop()
    engine.dispose()
    assert "the migration lock was not released within 1 s" in step.output()
