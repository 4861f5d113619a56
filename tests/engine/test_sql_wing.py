"""The engine's SQL stays in ``server/engine/sql``, and the SQLAlchemy internals it reads hold."""

from __future__ import annotations

import re
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy
from packaging.requirements import Requirement
from sqlalchemy import bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from server.engine.facts import tickets
from server.engine.sql import dialects
from server.engine.sql import sqlalchemy_internals as internals
from server.models import TicketStatus

ROOT = Path(__file__).resolve().parents[2]
ENGINE = ROOT / "server" / "engine"
WING = ENGINE / "sql"
#: A database's name, or a choice made by one.
MENTION = re.compile(r"sqlite|postgres|dialect\.name", re.IGNORECASE)
DIALECTS = [sqlite.dialect(), postgresql.psycopg.dialect()]
STATEMENT = select(tickets.c.id, tickets.c.status).where(
    tickets.c.called_at < bindparam("now"), tickets.c.status == bindparam("status")
)


def test_no_rule_module_of_the_engine_mentions_a_database():
    modules = [p for p in ENGINE.rglob("*.py") if WING not in p.parents]
    assert len(modules) > 10
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in modules
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if MENTION.search(line)
    ]
    assert not found, "move these into server/engine/sql (dialects.py):\n" + "\n".join(found)


def test_every_database_has_every_variant():
    assert set(dialects.VARIANTS) == {"sqlite", "postgresql"}
    for variants in dialects.VARIANTS.values():
        assert all(value is not None for value in vars(variants).values())


def test_the_variants_are_the_sessions_databases(session: Session):
    assert dialects.of(session) is dialects.VARIANTS[session.get_bind().dialect.name]


def test_an_unknown_database_is_a_clear_error():
    elsewhere = SimpleNamespace(get_bind=lambda: SimpleNamespace(dialect=SimpleNamespace(name="x")))
    with pytest.raises(ValueError, match="unsupported database 'x'"):
        dialects.of(elsewhere)  # type: ignore[arg-type]


def test_the_installed_sqlalchemy_is_in_the_pinned_range():
    """The internals below were checked on this range; widen it only after they pass."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    pins = [Requirement(d) for d in project["project"]["dependencies"]]
    (pin,) = [r for r in pins if r.name.lower() == "sqlalchemy"]
    assert pin.specifier.contains(sqlalchemy.__version__), (sqlalchemy.__version__, str(pin))


@pytest.mark.parametrize("dialect", DIALECTS, ids=lambda d: d.name)
def test_the_private_attributes_read_are_still_there(dialect):
    compiled = STATEMENT.compile(dialect=dialect)
    for name in ("_bind_processors", "_result_columns"):
        assert hasattr(compiled, name), f"SQLAlchemy {sqlalchemy.__version__}: no {name}"
    assert hasattr(tickets.c.status.type, "_cached_result_processor")


@pytest.mark.parametrize("dialect", DIALECTS, ids=lambda d: d.name)
def test_bind_processors_convert_as_the_types_public_processor(dialect):
    compiled = STATEMENT.compile(dialect=dialect)
    processors = internals.bind_processors(compiled)
    now = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    for name, value in (("now", now), ("status", TicketStatus.CALLED)):
        kind = compiled.binds[name].type
        public = kind.dialect_impl(dialect).bind_processor(dialect)
        ours = processors.get(name)
        assert (ours is None) == (public is None), name
        if ours is not None:
            assert ours(value) == public(value), name


@pytest.mark.parametrize("dialect", DIALECTS, ids=lambda d: d.name)
def test_result_columns_and_processors_are_the_statements(dialect):
    compiled = STATEMENT.compile(dialect=dialect)
    columns = internals.result_columns(compiled)
    assert [name for name, _ in columns] == ["id", "status"]
    assert [kind for _, kind in columns] == [tickets.c.id.type, tickets.c.status.type]
    status = internals.result_processor(tickets.c.status.type, dialect)
    public = tickets.c.status.type.dialect_impl(dialect).result_processor(dialect, None)
    assert status is not None and status("called") == public("called") == TicketStatus.CALLED
