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
