"""Simulated history for whole offices: which days, which clerks, and a province of copies."""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from server import engine
from server.engine import Actor, EngineSettings, OfficeFacts
from server.engine.clock import zone
from server.models import Counter, CounterService, CounterState, Office, Role, Service, Ticket, User
from server.passwords import hash_password
from server.seed import furnish
from server.simulate import model
from server.simulate.office_day import Desk, OfficeDay, Prediction

#: Estimates read fresh service times: the engine's 30 s cache is in real seconds, and a
#: simulated hour passes in well under one.
SETTINGS = EngineSettings(estimate_cache_seconds=0)


class SimulationRefused(ValueError):
    """The office cannot be simulated now (unknown, or clerks are at work in it)."""


@dataclass
class History:
    """What a simulation wrote: days played and skipped, tickets, and every estimate given."""

    days: list[date] = field(default_factory=list)
    skipped: list[date] = field(default_factory=list)
    predictions: list[Prediction] = field(default_factory=list)
    turned_away: int = 0


def working_days(start: date, count: int) -> list[date]:
    """The first ``count`` working days from ``start`` on (Fridays left out)."""
    days, day = [], start
    while len(days) < count:
        if model.is_working_day(day):
            days.append(day)
        day += timedelta(days=1)
    return days


def last_working_days(before: date, count: int) -> list[date]:
    """The ``count`` working days that end the day before ``before``."""
    days, day = [], before - timedelta(days=1)
    while len(days) < count:
        if model.is_working_day(day):
            days.append(day)
        day -= timedelta(days=1)
    return days[::-1]


def simulate(
    session: Session,
    office_code: str,
    days: list[date],
    seed: int = 0,
    progress: Callable[[date], None] | None = None,
) -> History:
    """Play ``days`` of the office through the engine; days that have tickets are skipped.

    Each day draws from its own generator seeded by (seed, office, date), so the same
    seed gives the same history, whichever days were skipped.
    """
    office = engine.office_by_code(session, office_code)
    if office is None:
        raise SimulationRefused(f"no office {office_code}")
    desks = _desks(session, office)
    services = _served_services(session, office.id)
    history = History()
    for day in days:
        if _has_tickets(session, office.id, day):
            history.skipped.append(day)
        else:
            rng = random.Random(f"{seed}:{office.code}:{day.isoformat()}")
            played = OfficeDay(session, office, day, desks, services, rng, SETTINGS)
            played.run()
            history.days.append(day)
            history.predictions += played.predictions
            history.turned_away += played.turned_away
        if progress is not None:
            progress(day)
    if history.days:
        _close_day(session, office, history.days[-1])
    return history


def province(session: Session, count: int) -> list[str]:
    """Offices ``prov-001``… laid out as the demo office, with a clerk per counter (idempotent)."""
    codes = [f"prov-{n:03d}" for n in range(1, count + 1)]
    existing = set(session.scalars(select(Office.code).where(Office.code.in_(codes))))
    for code in codes:
        if code not in existing:
            _copy_of_demo(session, code)
    session.commit()
    return codes


def _copy_of_demo(session: Session, code: str) -> None:
    number = code.removeprefix("prov-")
    office = Office(
        code=code, name_fa=f"دفتر پیشخوان {number}", name_en=f"Pishkhan office {number}"
    )
    session.add(office)
    session.flush()
    furnish(session, office)
    session.flush()


def _desks(session: Session, office: OfficeFacts) -> list[Desk]:
    """The office's counters, each with a clerk of the office; refused while any is open."""
    counters = session.scalars(
        select(Counter)
        .where(Counter.office_id == office.id)
        .order_by(Counter.number)
        .execution_options(populate_existing=True)
    ).all()
    busy = [c.number for c in counters if c.state is not CounterState.CLOSED]
    if busy:
        raise SimulationRefused(
            f"counters {', '.join(map(str, busy))} of {office.code} are open: close them first"
        )
    counters = [c for c in counters if c.links]
    clerks = _clerks(session, office, len(counters))
    return [
        Desk(c.id, Actor(user_id=clerk), {link.service_id: link.tier for link in c.links})
        for c, clerk in zip(counters, clerks, strict=True)
    ]


def _clerks(session: Session, office: OfficeFacts, count: int) -> list[int]:
    """The office's clerks in name order, adding ``<office>-clerk<n>`` users when too few.

    The added users get a random password nobody knows: they exist only for the history.
    """
    ids = list(
        session.scalars(
            select(User.id)
            .where(User.office_id == office.id, User.role == Role.CLERK, User.active)
            .order_by(User.username)
        )
    )
    if len(ids) < count:
        password_hash = hash_password(secrets.token_urlsafe(16))
        for n in range(len(ids) + 1, count + 1):
            user = User(
                username=f"{office.code}-clerk{n}",
                full_name=f"Clerk {n}",
                password_hash=password_hash,
                role=Role.CLERK,
                office_id=office.id,
            )
            session.add(user)
            session.flush()
            ids.append(user.id)
        session.commit()
    return ids[:count]


def _served_services(session: Session, office_id: int) -> dict[str, int]:
    """Code → id of the office's active services that some counter serves."""
    rows = session.execute(
        select(Service.code, Service.id)
        .join(CounterService, CounterService.service_id == Service.id)
        .where(Service.office_id == office_id, Service.active)
        .distinct()
    )
    return dict(rows.all())


def _has_tickets(session: Session, office_id: int, day: date) -> bool:
    found = session.scalar(
        select(Ticket.id).where(Ticket.office_id == office_id, Ticket.business_date == day).limit(1)
    )
    return found is not None


def _close_day(session: Session, office: OfficeFacts, last: date) -> None:
    """Expire what the last day left open, at the next local midnight, as the server would."""
    midnight = datetime.combine(last + timedelta(days=1), time(0, 0, 30), zone(office.timezone))
    engine.close_day(session, office, midnight)
    session.commit()
