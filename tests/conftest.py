"""Fixtures: databases (SQLite always, PostgreSQL when reachable), the app, clients, tokens."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache as cache_results
from pathlib import Path
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from harness import builders, services
from server import seed
from server.app import create_app
from server.config import TestingConfig
from server.database import Base, make_engine
from server.engine import CollectingPublisher, EngineSettings, cache
from server.engine.sessions import make_sessionmaker
from server.extensions import db
from server.models import Counter, Office, Role, TokenKind

# Estimates would otherwise be cached across tests that reuse ids.
FRESH = EngineSettings(estimate_cache_seconds=0)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """One PostgreSQL database for the run; tests empty it rather than recreate it."""
    yield from services.fresh_postgres_database()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database on each supported engine (schema created by ``engine``/``app``)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'nobat.sqlite3'}"
    url = request.getfixturevalue("postgres_url")
    services.empty_postgres_database(url)
    return url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'nobat.sqlite3'}"


@pytest.fixture(scope="session", autouse=True)
def _demo_passwords_hashed_once() -> Iterator[None]:
    """Seeding the demo office hashes each of its six users' password with scrypt, slow on
    purpose (0.1 s a hash): in the test process a password is hashed once per run, and
    users seeded with the same one share that real hash."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(seed, "hash_password", cache_results(seed.hash_password))
        yield


@pytest.fixture(autouse=True)
def _fresh_caches() -> None:
    """Process caches are keyed by database URL, which PostgreSQL tests reuse."""
    cache.forget()


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on a database with the schema created."""
    result = make_engine(db_url)
    Base.metadata.create_all(result)
    yield result
    result.dispose()


@pytest.fixture
def published() -> CollectingPublisher:
    return CollectingPublisher()


@pytest.fixture
def session_factory(engine: Engine, published: CollectingPublisher) -> sessionmaker:
    return make_sessionmaker(engine, published)


@pytest.fixture
def session(session_factory: sessionmaker) -> Iterator[Session]:
    with session_factory() as result:
        yield result


@dataclass
class Office1:
    """The standard test office: three services, three counters and a clerk at each."""

    office: Office
    counters: list[Counter]
    clerks: list[int]


@pytest.fixture
def amol(session: Session) -> Office1:
    office = builders.office(session)
    counters = [
        builders.counter(session, office, 1, {"insurance": 1, "civil": 2}),
        builders.counter(session, office, 2, {"civil": 1}),
        builders.counter(session, office, 3, {"post": 1, "insurance": 2}),
    ]
    clerks = [builders.user(session, f"clerk{n}", office=office).id for n in (1, 2, 3)]
    session.commit()
    return Office1(office, counters, clerks)


# --- the web app ----------------------------------------------------------------------


@pytest.fixture
def app(db_url: str) -> Iterator[Flask]:
    """The app on a fresh database, its events collected in ``app.extensions['published']``."""
    publisher = CollectingPublisher()
    result = create_app(TestingConfig, {"SQLALCHEMY_DATABASE_URI": db_url}, publisher=publisher)
    result.extensions["published"] = publisher
    with result.app_context():
        Base.metadata.create_all(db.engine)
    yield result
    close(result)


def close(app: Flask) -> None:
    """Let the app's print jobs finish, then close its database connections."""
    app.extensions["nobat.printing"].shutdown()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


# --- one app per database, emptied before each test ----------------------------------
#
# Building the app (blueprints, the OpenAPI document) and its schema took half a second
# to a second a test. Test modules whose tests only use the app (no configuration of
# their own that outlives them) override ``app`` with ``emptied(reusable_app)``: every
# table emptied, the collected events forgotten. Ids are not reset: such tests look
# them up rather than assume them. The engine's process caches are keyed by URL; the
# autouse ``_fresh_caches`` clears them.

DATABASES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def database_url(request: pytest.FixtureRequest, tmp: pytest.TempPathFactory) -> Iterator[str]:
    """A database of its own for a session fixture (the tests of ``db_url`` empty theirs
    at will), on the engine ``request.param`` names."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp.mktemp('app') / 'nobat.sqlite3'}"
        return
    if reason := services.postgres_problem():
        if services.REQUIRED:
            pytest.fail(f"{reason} (NOBAT_REQUIRE_SERVICES=1)", pytrace=False)
        pytest.skip(reason)
    for url in services.fresh_postgres_database():
        # A throwaway database need not wait for its WAL to reach the disk at each commit:
        # on a busy machine that wait dominates these tests.
        yield f"{url}?options={quote('-c synchronous_commit=off')}"


def new_app(url: str) -> Flask:
    """The app on the database at ``url`` with the schema created, its events collected."""
    publisher = CollectingPublisher()
    result = create_app(TestingConfig, {"SQLALCHEMY_DATABASE_URI": url}, publisher=publisher)
    result.extensions["published"] = publisher
    with result.app_context():
        Base.metadata.create_all(db.engine)
    return result


@pytest.fixture(scope="session", params=DATABASES)
def reusable_app(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """One app per database for the modules that override ``app`` with ``emptied``."""
    for url in database_url(request, tmp_path_factory):
        result = new_app(url)
        yield result
        close(result)


def emptied(app: Flask) -> Flask:
    """``app`` as a new one: every table emptied, its collected events forgotten.

    Emptying takes milliseconds where dropping and creating the schema takes half a
    second on PostgreSQL.
    """
    with app.app_context():
        empty_tables(db.engine)
    app.extensions["published"].events.clear()
    return app


def empty_tables(engine: Engine) -> Engine:
    """Every table of ``engine``'s database emptied, the schema kept."""
    # DELETE, children first: on tables this small it beats TRUNCATE by far on PostgreSQL.
    with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())
    return engine


@pytest.fixture(scope="session", params=DATABASES)
def reusable_engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """One engine per database, with the schema, for the modules that override ``engine``
    with ``empty_tables(reusable_engine)``."""
    for url in database_url(request, tmp_path_factory):
        result = make_engine(url)
        Base.metadata.create_all(result)
        yield result
        result.dispose()


@dataclass
class Tokens:
    """Bearer tokens for every kind of caller, in office ``amol`` unless named ``other``."""

    clerk: str
    clerk2: str
    manager: str
    admin: str
    kiosk: str
    display: str
    other_clerk: str
    other_kiosk: str
    other_display: str

    @staticmethod
    def header(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}


def people(s: Session, services: Iterable[tuple[str, str]] | None = None) -> Tokens:
    """Offices ``amol`` (counters 1–3) and ``babol``, and a token for every kind of caller."""
    amol = builders.office(s, "amol", services) if services else builders.office(s, "amol")
    builders.counter(s, amol, 1, {"insurance": 1, "civil": 2})
    builders.counter(s, amol, 2, {"civil": 1})
    builders.counter(s, amol, 3, {"post": 1, "insurance": 2})
    babol = builders.office(s, "babol")
    builders.counter(s, babol, 1, {"insurance": 1})
    return Tokens(
        clerk=builders.user_token(s, "clerk1", Role.CLERK, amol),
        clerk2=builders.user_token(s, "clerk2", Role.CLERK, amol),
        manager=builders.user_token(s, "manager", Role.MANAGER, amol),
        admin=builders.user_token(s, "admin", Role.ADMIN, None),
        kiosk=builders.device_token(s, TokenKind.KIOSK, amol),
        display=builders.device_token(s, TokenKind.DISPLAY, amol),
        other_clerk=builders.user_token(s, "babol-clerk", Role.CLERK, babol),
        other_kiosk=builders.device_token(s, TokenKind.KIOSK, babol),
        other_display=builders.device_token(s, TokenKind.DISPLAY, babol),
    )


@pytest.fixture
def tokens(app: Flask) -> Tokens:
    """Office ``amol`` (services insurance A, civil B, post C; counters 1–3) and ``babol``."""
    with app.app_context():
        result = people(db.session)
        db.session.commit()
    return result


@pytest.fixture(autouse=True)
def _services_available(request: pytest.FixtureRequest) -> None:
    """Tests marked postgres/redis skip with a reason when the service is down (fail in CI)."""
    services.check(request.node)
