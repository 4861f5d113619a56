"""A simulated demo office, shared by a module's tests: simulating is the slow part."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from server.database import Base, make_engine
from server.engine import NullPublisher
from server.engine.sessions import make_sessionmaker
from server.seed import seed_demo
from server.simulate import History, simulate, working_days

#: A Saturday at the start of a Jalali month (1404/02/13 is not; 2025-04-21 is 1404/02/01).
START = date(2025, 4, 19)


@dataclass
class Simulated:
    session: Session
    history: History


def simulated(path: Path, days: int, seed: int = 1) -> Iterator[Simulated]:
    """The demo office with ``days`` working days simulated from :data:`START`."""
    engine = make_engine(f"sqlite:///{path / 'sim.sqlite3'}")
    Base.metadata.create_all(engine)
    with make_sessionmaker(engine, NullPublisher())() as session:
        seed_demo(session, "a demo password")
        session.commit()
        yield Simulated(session, simulate(session, "amol", working_days(START, days), seed))
    engine.dispose()


@pytest.fixture(scope="module")
def three_days(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Simulated]:
    yield from simulated(tmp_path_factory.mktemp("sim"), 3)
