"""Work done by each thread or process of the concurrency tests (module level: picklable)."""

from __future__ import annotations

from sqlalchemy import select

from server import engine
from server.database import make_engine
from server.engine import Actor, DomainError, EngineSettings
from server.engine.sessions import make_sessionmaker
from server.models import Office

# 2,000 tickets over three services: past the default daily cap, which is not tested here.
SETTINGS = EngineSettings(estimate_cache_seconds=60, default_daily_cap=None)


def issue_tickets(url: str, office_code: str, services: list[str], count: int) -> list[str]:
    """Issue ``count`` tickets round-robin over ``services``; return their numbers."""
    db = make_engine(url)
    session = make_sessionmaker(db)()
    office = session.scalar(select(Office).where(Office.code == office_code))
    numbers = []
    for n in range(count):
        issued = engine.issue(session, office, services[n % len(services)], settings=SETTINGS)
        session.commit()
        numbers.append(issued.ticket.number)
    session.close()
    db.dispose()
    return numbers


def call_until_empty(url: str, counter_id: int, clerk_id: int) -> list[int]:
    """Press *call next* at one counter until nothing waits; return the ids it was given."""
    db = make_engine(url)
    session = make_sessionmaker(db)()
    claimed = []
    while True:
        ticket = engine.call_next(
            session, counter_id, actor=Actor(user_id=clerk_id), settings=SETTINGS
        )
        session.commit()
        if ticket is None:
            break
        claimed.append(ticket.id)
    session.close()
    db.dispose()
    return claimed


def call_numbers(url: str, counter_id: int, clerk_id: int, numbers: list[str]) -> list[int]:
    """Call each of ``numbers`` out of turn at one counter; the ids of those it got.

    A number another clerk called first is refused (and rolled back, as a request is).
    """
    db = make_engine(url)
    session = make_sessionmaker(db)()
    claimed = []
    for number in numbers:
        try:
            ticket = engine.call_number(session, counter_id, number, actor=Actor(user_id=clerk_id))
        except DomainError:
            session.rollback()
            continue
        session.commit()
        claimed.append(ticket.id)
    session.close()
    db.dispose()
    return claimed
