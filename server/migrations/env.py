"""Alembic environment: migrates the database of the Nobat app that Flask-Migrate loaded."""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from logging.config import fileConfig

from alembic import context
from flask import current_app

config = context.config
# Keep the loggers that exist already (the server's, a bridge's): alembic's default disables them.
fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

database = current_app.extensions["migrate"].db
target_metadata = database.metadata


def run_migrations_offline() -> None:
    """Emit SQL for the configured URL without a connection."""
    context.configure(
        url=database.engine.url.render_as_string(hide_password=False),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Migrate through the app's own engine (same connection hooks as the app)."""

    def skip_empty(_context, _revision, directives) -> None:
        if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
            directives[:] = []
            logger.info("No changes in schema detected.")

    with database.engine.connect() as connection, _sqlite_rebuilds(connection):
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            process_revision_directives=skip_empty,
            # SQLite cannot ALTER most things: batch mode copies the table instead.
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()


@contextmanager
def _sqlite_rebuilds(connection) -> Iterator[None]:
    """On SQLite, migrate with foreign keys off, then check them.

    Batch mode rebuilds a table by copying it and dropping the old one; with foreign
    keys on, that drop would cascade and delete every row that refers to it (a ticket's
    events). SQLite only switches them outside a transaction, so on the bare connection.
    """
    if connection.dialect.name != "sqlite":
        yield
        return
    bare = connection.connection.driver_connection
    bare.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
        broken = bare.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"the migration broke foreign keys: {broken[:5]}")
    finally:
        bare.execute("PRAGMA foreign_keys=ON")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
