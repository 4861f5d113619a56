"""The demo office ``amol``: the Pishkhan service groups, four counters, staff users."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import Counter, CounterService, Office, Role, Service, User
from server.passwords import hash_password

OFFICE = {
    "code": "amol",
    "name_fa": "دفتر پیشخوان خدمات دولت آمل",
    "name_en": "Amol Government Services Office (Pishkhan)",
    "timezone": "Asia/Tehran",
}

# code, letter, group, Persian name, English name, target wait in minutes
SERVICES = [
    ("health-insurance", "A", "insurance", "بیمه سلامت", "Health insurance", 15),
    ("national-id", "B", "civil_registration", "کارت ملی هوشمند", "Smart national ID card", 20),
    ("birth-certificate", "C", "civil_registration", "شناسنامه", "Birth certificate", 20),
    ("post-bank", "D", "post_bank", "خدمات پست بانک", "Post Bank services", 10),
    ("parcel", "E", "postal", "مرسولات پستی", "Parcels and mail", 10),
    ("landline", "F", "telecom", "تلفن ثابت مخابرات", "Landline telephone", 15),
    ("mobile-sim", "G", "mobile", "سیم‌کارت همراه", "Mobile SIM cards", 15),
    ("tax-return", "H", "tax", "اظهارنامه مالیاتی", "Tax declarations", 25),
    ("vehicle-tolls", "K", "tax", "عوارض خودرو و شهرداری", "Vehicle and municipal tolls", 15),
]

# number, name, {service: tier}
COUNTERS = [
    (1, "باجه ۱", {"national-id": 1, "birth-certificate": 1, "health-insurance": 2}),
    (2, "باجه ۲", {"post-bank": 1, "parcel": 1, "tax-return": 2, "vehicle-tolls": 2}),
    (3, "باجه ۳", {"landline": 1, "mobile-sim": 1, "parcel": 2}),
    (4, "باجه ۴", {"tax-return": 1, "vehicle-tolls": 1, "health-insurance": 1, "national-id": 2}),
]

USERS = [("admin", Role.ADMIN), ("manager", Role.MANAGER)] + [
    (f"clerk{n}", Role.CLERK) for n in range(1, 5)
]


@dataclass(frozen=True)
class SeedResult:
    office: Office
    created_users: list[str]
    password: str | None


def seed_demo(session: Session, password: str | None = None) -> SeedResult:
    """Create whatever of the demo office is missing; running it again changes nothing."""
    office = session.scalar(select(Office).where(Office.code == OFFICE["code"]))
    if office is None:
        office = Office(**OFFICE)
        session.add(office)
        session.flush()
    furnish(session, office)
    existing = set(session.scalars(select(User.username)))
    missing = [(name, role) for name, role in USERS if name not in existing]
    chosen = password or (secrets.token_urlsafe(9) if missing else None)
    for name, role in missing:
        session.add(
            User(
                username=name,
                full_name=name.title(),
                password_hash=hash_password(chosen),
                role=role,
                office_id=None if role is Role.ADMIN else office.id,
            )
        )
    session.flush()
    return SeedResult(office, [name for name, _ in missing], chosen if missing else None)


def furnish(session: Session, office: Office) -> None:
    """Give ``office`` whatever of the demo's services and counters it lacks."""
    services = {s.code: s for s in office.services}
    for position, (code, letter, group, fa, en, minutes) in enumerate(SERVICES):
        if code not in services:
            services[code] = Service(
                office_id=office.id,
                code=code,
                letter=letter,
                group=group,
                name_fa=fa,
                name_en=en,
                target_wait_seconds=minutes * 60,
                position=position,
            )
            session.add(services[code])
    numbers = {c.number for c in office.counters}
    for number, name, tiers in COUNTERS:
        if number not in numbers:
            counter = Counter(office_id=office.id, number=number, name=name)
            counter.links = [
                CounterService(service=services[code], tier=tier) for code, tier in tiers.items()
            ]
            session.add(counter)
