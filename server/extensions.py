"""Extensions, created here unbound and bound to the app in ``create_app``."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app
from flask_babel import Babel
from flask_migrate import Migrate
from sqlalchemy import Engine
from sqlalchemy.orm import Session, scoped_session

from server.api.errors import NobatApi
from server.database import Base, make_engine, make_sessionmaker
from server.engine.events import Publisher


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
        app.teardown_appcontext(lambda _exc: bound.session.remove())

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


db = Database()
api = NobatApi()
migrate = Migrate()
babel = Babel()
