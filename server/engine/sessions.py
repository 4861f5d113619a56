"""The engine's session factory: its sessions seal their events into the trail on commit
and hand the live ones to a publisher.

The hooks belong to the factory, not to SQLAlchemy's global ``Session`` class, so a
session made elsewhere (a report, a migration) carries no engine behaviour, and the
database layer needs nothing from the engine.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

from server.engine import events


def make_sessionmaker(engine: Engine, publisher: Any = None) -> sessionmaker:
    """A session factory whose objects stay readable after commit.

    ``publisher`` receives the live events of every committed transaction.
    """
    factory = sessionmaker(engine, expire_on_commit=False, info={events.PUBLISHER: publisher})
    events.install(factory)
    return factory
