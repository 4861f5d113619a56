"""Builders for test data: an office with services and counters in one call."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from sqlalchemy.orm import Session

from server import auth
from server.models import Counter, CounterService, Office, Role, Service, TokenKind, User
from server.passwords import hash_password


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
