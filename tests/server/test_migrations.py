"""Migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import inspect

from server.app import create_app
from server.config import TestingConfig
from server.database import Base
from server.extensions import db


def test_upgrading_an_empty_database_yields_the_models_schema(db_url):
    app = create_app(TestingConfig, {"SQLALCHEMY_DATABASE_URI": db_url})
    with app.app_context():
        upgrade(directory=str(app.config["MIGRATIONS"]))
        with db.engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
            tables = set(inspect(connection).get_table_names())
        db.engine.dispose()
    assert differences == []
    assert {"tickets", "ticket_events", "offices", "api_tokens"} <= tables


def test_adding_counter_devices_keeps_which_device_made_each_event_on_sqlite(sqlite_url):
    """SQLite rebuilds api_tokens for its new foreign key; dropping the old table would set
    every reference to it to NULL (ON DELETE SET NULL) unless the migration keeps them."""
    app = create_app(TestingConfig, {"SQLALCHEMY_DATABASE_URI": sqlite_url})
    directory = str(app.config["MIGRATIONS"])
    with app.app_context():
        upgrade(directory=directory, revision="6f693ce9b214")
        with db.engine.begin() as connection:
            for statement in _BEFORE_COUNTER_DEVICES:
                connection.exec_driver_sql(statement)
        upgrade(directory=directory, revision="5e1c0a7d2b9f")
        with db.engine.connect() as connection:
            events = connection.exec_driver_sql("SELECT device_token_id FROM ticket_events")
            jobs = connection.exec_driver_sql("SELECT kiosk_token_id FROM print_jobs")
            assert (events.scalars().all(), jobs.scalars().all()) == ([7], [7])
        db.engine.dispose()


def test_rebuilding_the_tickets_table_keeps_their_events_and_measures_old_tickets(db_url):
    """SQLite adds stored columns only by rebuilding the table; dropping the old one would
    delete every ticket's events (ON DELETE CASCADE) unless foreign keys are off meanwhile."""
    app = create_app(TestingConfig, {"SQLALCHEMY_DATABASE_URI": db_url})
    directory = str(app.config["MIGRATIONS"])
    with app.app_context():
        upgrade(directory=directory, revision="f012fd0a2007")
        with db.engine.begin() as connection:
            for statement in _A_SERVED_TICKET:
                connection.exec_driver_sql(statement)
        upgrade(directory=directory)
        with db.engine.connect() as connection:
            events = connection.exec_driver_sql("SELECT count(*) FROM ticket_events").scalar()
            measured = connection.exec_driver_sql(
                "SELECT wait_us, walk_up_us, service_us, held_us FROM tickets"
            ).one()
        db.engine.dispose()
    assert events == 1
    assert tuple(measured) == (300_250_000, 29_750_000, 270_000_000, 299_750_000)


def test_tickets_parked_before_they_kept_their_parked_time_get_it_from_their_events(db_url):
    app = create_app(TestingConfig, {"SQLALCHEMY_DATABASE_URI": db_url})
    directory = str(app.config["MIGRATIONS"])
    with app.app_context():
        upgrade(directory=directory, revision="b7d41c9e0a52")
        with db.engine.begin() as connection:
            for statement in _PARKED_TICKETS:
                connection.exec_driver_sql(statement)
        upgrade(directory=directory)
        with db.engine.connect() as connection:
            found = connection.exec_driver_sql(
                "SELECT parked_us, started_at, parked_at IS NOT NULL, service_us - parked_us"
                " FROM tickets ORDER BY id"
            ).all()
        db.engine.dispose()
    # Parked 08:06–08:20 before its start (which the resume stamped), then done at 08:30.
    served, away = found[0], found[1]
    assert (served[0], str(served[1])[:19], served[2]) == (
        840_000_000,
        "2026-01-01 08:06:00",
        False,
    )
    assert served[3] == 600_000_000  # 08:06–08:30 less 14 minutes away
    # Still away: its park is open, nothing added up yet.
    assert (away[0], str(away[1])[:19], away[2]) == (0, "2026-01-01 09:01:00", True)


_OFFICE_AND_SERVICE = [
    "INSERT INTO offices (id, code, name_fa, name_en, timezone, routing_policy, event_seq)"
    " VALUES (1, 'amol', 'آمل', 'Amol', 'Asia/Tehran', 'tiered', 1)",
    'INSERT INTO services (id, office_id, code, letter, name_fa, name_en, "group",'
    " target_wait_seconds, active, position) VALUES (1, 1, 'civil', 'B', 'ث', 'Civil', 'c', 600,"
    " TRUE, 0)",
]

# A ticket served before tickets kept their measured times (times in the stored form), and
# its event.
_A_SERVED_TICKET = [
    *_OFFICE_AND_SERVICE,
    "INSERT INTO tickets (id, office_id, service_id, business_date, sequence, number, priority,"
    " status, issued_at, queued_at, called_at, started_at, finished_at, recall_count,"
    " public_token) VALUES (1, 1, 1, '2026-01-01', 1, 'B-001', FALSE, 'done',"
    " '2026-01-01 08:00:00.000000', '2026-01-01 08:00:00.000000', '2026-01-01 08:05:00.250000',"
    " '2026-01-01 08:05:30.000000', '2026-01-01 08:10:00.000000', 0, 'public')",
    "INSERT INTO ticket_events (id, office_id, ticket_id, type, at, seq)"
    " VALUES (1, 1, 1, 'issued', '2026-01-01 08:00:00', 1)",
]

# A kiosk token, an event it caused and a job it printed, as revision 6f693ce9b214 stored them.
_BEFORE_COUNTER_DEVICES = [
    *_OFFICE_AND_SERVICE,
    "INSERT INTO api_tokens (id, token_hash, kind, office_id, name, created_at, revoked)"
    " VALUES (7, 'hash', 'kiosk', 1, '', '2026-01-01 08:00:00', 0)",
    "INSERT INTO tickets (id, office_id, service_id, business_date, sequence, number, priority,"
    " status, issued_at, queued_at, recall_count, public_token) VALUES (1, 1, 1, '2026-01-01',"
    " 1, 'B-001', 0, 'waiting', '2026-01-01 08:00:00', '2026-01-01 08:00:00', 0, 'public')",
    "INSERT INTO ticket_events (id, office_id, ticket_id, type, at, device_token_id, seq)"
    " VALUES (1, 1, 1, 'issued', '2026-01-01 08:00:00', 7, 1)",
    "INSERT INTO print_jobs (id, office_id, ticket_id, kiosk_token_id, printer, state, attempts,"
    " created_at, updated_at, language) VALUES (1, 1, 1, 7, 'preview://', 'printed', 1,"
    " '2026-01-01 08:00:00', '2026-01-01 08:00:00', 'fa')",
]

# Two tickets parked before tickets kept their parked time: one parked before its start,
# resumed and served; one parked now. With their trails (a resume stamped the first's start).
_PARKED_TICKETS = [
    *_OFFICE_AND_SERVICE,
    "INSERT INTO tickets (id, office_id, service_id, business_date, sequence, number, priority,"
    " status, issued_at, queued_at, called_at, started_at, finished_at, recall_count,"
    " public_token) VALUES (1, 1, 1, '2026-01-01', 1, 'B-001', FALSE, 'done',"
    " '2026-01-01 08:00:00.000000', '2026-01-01 08:00:00.000000', '2026-01-01 08:05:00.000000',"
    " '2026-01-01 08:20:00.000000', '2026-01-01 08:30:00.000000', 0, 'one')",
    "INSERT INTO tickets (id, office_id, service_id, business_date, sequence, number, priority,"
    " status, issued_at, queued_at, called_at, started_at, recall_count, public_token)"
    " VALUES (2, 1, 1, '2026-01-01', 2, 'B-002', FALSE, 'parked', '2026-01-01 08:50:00.000000',"
    " '2026-01-01 08:50:00.000000', '2026-01-01 09:00:00.000000', NULL, 0, 'two')",
    "INSERT INTO ticket_events (id, office_id, ticket_id, type, at, seq) VALUES"
    " (1, 1, 1, 'parked', '2026-01-01 08:06:00.000000', 1),"
    " (2, 1, 1, 'resumed', '2026-01-01 08:20:00.000000', 2),"
    " (3, 1, 2, 'parked', '2026-01-01 09:01:00.000000', 3)",
]
