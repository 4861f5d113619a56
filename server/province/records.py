"""A province as plain records: what a file holds once checked, and what the database holds.

Records compare by their values only, not by where they were read, so a record read
from a file equals the stored one it would not change.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import time

from server.province.problems import Where

#: Defaults of what a file may leave out (the models' own defaults).
TIMEZONE = "Asia/Tehran"
ROUTING_POLICY = "tiered"
TARGET_WAIT_SECONDS = 900


@dataclass(frozen=True)
class OfficeRecord:
    code: str
    name_fa: str
    name_en: str
    timezone: str = TIMEZONE
    routing_policy: str = ROUTING_POLICY
    where: Where | None = field(default=None, compare=False)


@dataclass(frozen=True)
class ServiceRecord:
    office: str
    code: str
    letter: str
    group: str
    name_fa: str
    name_en: str
    target_wait_seconds: int = TARGET_WAIT_SECONDS
    daily_cap: int | None = None
    opens_at: time | None = None
    closes_at: time | None = None
    active: bool = True
    #: The service's place in its office's list (the kiosk's order): its order in the file.
    position: int = 0
    where: Where | None = field(default=None, compare=False)

    @property
    def key(self) -> tuple[str, str]:
        return (self.office, self.code)


@dataclass(frozen=True)
class CounterRecord:
    office: str
    number: int
    name: str
    name_en: str
    #: (service code, tier) pairs, tier 1 primary; in tier order, then the services' order.
    services: tuple[tuple[str, int], ...] = ()
    where: Where | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        # One order for what is one set, so that records compare and files are written alike.
        object.__setattr__(self, "services", tuple(sorted(self.services, key=_by_tier)))

    @property
    def key(self) -> tuple[str, int]:
        return (self.office, self.number)


@dataclass(frozen=True)
class UserRecord:
    username: str
    full_name: str
    role: str
    #: Office codes: the user's own first, then (managers only) the rest of their region.
    offices: tuple[str, ...] = ()
    active: bool = True
    where: Where | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.offices:  # the region after the own office is a set: sorted, without it
            own = self.offices[0]
            region = sorted(set(self.offices[1:]) - {own})
            object.__setattr__(self, "offices", (own, *region))


@dataclass
class Province:
    """Offices, services, counters and users, each list in the order of the file."""

    offices: list[OfficeRecord] = field(default_factory=list)
    services: list[ServiceRecord] = field(default_factory=list)
    counters: list[CounterRecord] = field(default_factory=list)
    users: list[UserRecord] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.offices) + len(self.services) + len(self.counters) + len(self.users)


def _by_tier(link: tuple[str, int]) -> tuple[int, str]:
    return (link[1], link[0])


def differing(old: object, new: object) -> tuple[str, ...]:
    """The names of the fields whose values differ between two records of one kind."""
    return tuple(
        f.name
        for f in fields(old)  # type: ignore[arg-type]
        if f.compare and getattr(old, f.name) != getattr(new, f.name)
    )


def counter_name_en(number: int) -> str:
    """A counter's English name when none is given, as the model makes it."""
    return f"Counter {number}"
