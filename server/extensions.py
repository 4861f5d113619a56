"""Extensions, created here unbound and bound to the app in ``create_app``."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from flask import Flask, current_app
from flask_babel import Babel
from flask_migrate import Migrate
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, scoped_session

from server.api.errors import NobatApi
from server.database import READ_ONLY, Base, make_engine
from server.engine.events import Publisher
from server.engine.sessions import make_sessionmaker

log = logging.getLogger(__name__)


@dataclass
class _Bound:
    engine: Engine
    session: scoped_session[Session]


class Database:
    """The app's engine and a session per request (plain SQLAlchemy; no Flask in the models).

    Flask-Migrate only needs ``metadata`` and ``engine`` from it.
    """

    metadata = Base.metadata

    def init_app(self, app: Flask, publisher: Publisher | None) -> None:
        engine = make_engine(app.config["SQLALCHEMY_DATABASE_URI"])
        bound = _Bound(engine, scoped_session(make_sessionmaker(engine, publisher)))
        app.extensions["nobat.db"] = bound
        app.teardown_appcontext(lambda _exc: _close(bound.session))

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session of its own for a long read that must hold up no writer (statistics)."""
        factory = current_app.extensions["nobat.db"].session.session_factory
        with factory() as reader:
            reader.connection(execution_options={READ_ONLY: True})
            yield reader

    @property
    def engine(self) -> Engine:
        return current_app.extensions["nobat.db"].engine

    def get_engine(self) -> Engine:
        """Flask-Migrate's name for :attr:`engine`."""
        return self.engine

    @property
    def session(self) -> Session:
        """The session of the current request or app context."""
        return current_app.extensions["nobat.db"].session()


def _close(session: scoped_session[Session]) -> None:
    """End the request's session, which rolls back whatever it left open.

    The answer has been made by then. If the database dropped the connection since
    (a restart), that rollback fails: the connection is discarded, and the failure
    is logged, not turned into a 500 for a request that was answered.
    """
    try:
        session.remove()
    except DBAPIError as error:
        log.warning("ending a finished request's transaction failed: %s", error.orig)
        session().invalidate()
        session.remove()


db = Database()
api = NobatApi()
migrate = Migrate()
babel = Babel()
