"""Builders for test data: an office with services and counters in one call."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import time
from functools import cache

from sqlalchemy.orm import Session

from server import auth
from server.models import Counter, CounterService, Office, Role, Service, TokenKind, User
from server.passwords import hash_password
from server.province.records import (
    CounterRecord,
    OfficeRecord,
    Province,
    ServiceRecord,
    UserRecord,
)
from server.seed import COUNTERS, SERVICES


def office(
    session: Session,
    code: str = "amol",
    services: Iterable[tuple[str, str]] = (("insurance", "A"), ("civil", "B"), ("post", "C")),
    timezone: str = "Asia/Tehran",
) -> Office:
    """An office with services given as (code, letter)."""
    result = Office(code=code, name_fa=f"دفتر {code}", name_en=f"Office {code}", timezone=timezone)
    session.add(result)
    session.flush()
    for position, (service_code, letter) in enumerate(services):
        session.add(
            Service(
                office_id=result.id,
                code=service_code,
                letter=letter,
                name_fa=f"خدمت {service_code}",
                name_en=service_code.title(),
                group=service_code,
                target_wait_seconds=600,
                position=position,
            )
        )
    session.flush()
    return result


def counter(session: Session, office: Office, number: int, tiers: dict[str, int]) -> Counter:
    """A closed counter serving services by code at the given tiers (1 = primary)."""
    result = Counter(office_id=office.id, number=number, name=f"Counter {number}")
    services = {s.code: s for s in office.services}
    result.links = [
        CounterService(service=services[code], tier=tier) for code, tier in tiers.items()
    ]
    session.add(result)
    session.flush()
    return result


def user(
    session: Session, username: str, role: Role = Role.CLERK, office: Office | None = None
) -> User:
    """A staff user with the password ``secret``."""
    result = User(
        username=username,
        full_name=username.title(),
        password_hash=_secret_hash(),
        role=role,
        office_id=office.id if office else None,
    )
    session.add(result)
    session.flush()
    return result


def user_token(session: Session, name: str, role: Role, office: Office | None) -> str:
    """A new staff user and a bearer token of theirs."""
    return auth.create_token(session, user=user(session, name, role, office))


def device_token(session: Session, kind: TokenKind, office: Office) -> str:
    """A bearer token of a kiosk or display of ``office``."""
    return auth.create_token(session, device=kind, office_id=office.id)


def counter_token(session: Session, counter: Counter) -> str:
    """A bearer token of the keypad or LED display at ``counter``."""
    return auth.create_token(session, device=TokenKind.COUNTER, counter=counter)


@cache
def _secret_hash() -> str:
    # scrypt is slow on purpose; one hash serves every test user.
    return hash_password("secret")


def province(offices: int, clerks: int = 4) -> Province:
    """A generated province of ``offices`` offices laid out as the demo office (its nine
    services, four counters), a manager and ``clerks`` clerks each, an administrator and a
    regional manager of them all; some services with hours, caps, or switched off."""
    result = Province(users=[UserRecord("admin", "Administrator", "admin")])
    codes = [f"office-{n:03d}" for n in range(1, offices + 1)]
    for n, code in enumerate(codes, start=1):
        result.offices.append(
            OfficeRecord(
                code,
                f"دفتر پیشخوان شمارهٔ {n}",
                f"Pishkhan office {n}",
                routing_policy="fifo" if n % 7 == 0 else "tiered",
            )
        )
        for position, (service, letter, group, fa, en, minutes) in enumerate(SERVICES):
            result.services.append(
                ServiceRecord(
                    code,
                    service,
                    letter,
                    group,
                    fa,
                    en,
                    target_wait_seconds=minutes * 60,
                    daily_cap=80 if (n + position) % 5 == 0 else None,
                    opens_at=time(8) if position % 3 == 0 else None,
                    closes_at=time(13, 30) if position % 3 == 0 else None,
                    active=(n + position) % 11 != 0,
                    position=position,
                )
            )
        for number, name, tiers in COUNTERS:
            result.counters.append(
                CounterRecord(code, number, name, f"Counter {number}", tuple(tiers.items()))
            )
        result.users.append(UserRecord(f"manager-{n:03d}", f"Manager {n}", "manager", (code,)))
        result.users.extend(
            UserRecord(f"clerk-{n:03d}-{c}", f"کارمند {c}", "clerk", (code,))
            for c in range(1, clerks + 1)
        )
    result.users.append(UserRecord("regional", "Regional manager", "manager", tuple(codes)))
    result.users.sort(key=lambda u: u.username)
    return result


def fixed_hashes(passwords: list[str]) -> list[str]:
    """A province import's hasher for tests: every new user's password is ``secret``
    (scrypt costs 50 ms a user on purpose; most tests do not sign in)."""
    return [_secret_hash()] * len(passwords)
