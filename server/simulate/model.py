"""The simulated office day: when citizens come, what they ask for, how long it takes.

Every figure here is a modelling choice (docs/decisions.md says why each); the
simulator only draws from them. Times are the office's local clock, in minutes
after midnight.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date

import jdatetime

OPENS = 7 * 60 + 30
#: Tickets stop at 14:30; Thursdays (half days) at noon. Friday is the weekend.
CLOSES = 14 * 60 + 30
CLOSES_THURSDAY = 12 * 60
THURSDAY, FRIDAY, SATURDAY = 3, 4, 5

#: Relative arrival rate per stretch of the day: a mid-morning peak, the noon-prayer lull.
ARRIVAL_SHAPE = (
    (7 * 60 + 30, 8 * 60, 0.5),
    (8 * 60, 9 * 60, 0.9),
    (9 * 60, 10 * 60, 1.4),
    (10 * 60, 11 * 60, 1.5),
    (11 * 60, 12 * 60, 1.2),
    (12 * 60, 13 * 60, 0.5),
    (13 * 60, 14 * 60, 0.8),
    (14 * 60, 14 * 60 + 30, 0.5),
)
#: Tickets of an ordinary full day, per counter of the office.
TICKETS_PER_COUNTER = 50
#: The first days of a Jalali month (salaries, bills, insurance renewals) are busier.
MONTH_START_DAYS, MONTH_START_FACTOR = 5, 1.35
SATURDAY_FACTOR = 1.15

PRIORITY_SHARE = 0.07
PRIORITY_REASONS = (("elderly", 0.6), ("disabled", 0.15), ("veteran", 0.1), ("pregnant", 0.15))
NO_SHOW_SHARE = 0.05
TRANSFER_SHARE = 0.03
#: Called → at the counter, seconds (lognormal mean, coefficient of variation).
WALK_UP = (25.0, 0.5)
#: A clerk recalls an absent citizen after this many seconds, and gives up after the second.
RECALL_AFTER, NO_SHOW_AFTER = 40.0, 90.0
#: Service times' coefficient of variation (lognormal), the same for every service.
SERVICE_CV = 0.6


@dataclass(frozen=True)
class ServiceProfile:
    """A service's share of the office's tickets and its mean service time."""

    share: float
    mean_seconds: float
    #: Where a citizen of this service is most often sent on (a transfer).
    transfer_to: str | None = None


#: The demo office's services (server/seed.py); others get :data:`DEFAULT_PROFILE`.
PROFILES = {
    "health-insurance": ServiceProfile(0.14, 240, "post-bank"),
    "national-id": ServiceProfile(0.12, 420, "birth-certificate"),
    "birth-certificate": ServiceProfile(0.06, 360, "national-id"),
    "post-bank": ServiceProfile(0.16, 180, "parcel"),
    "parcel": ServiceProfile(0.12, 150, "post-bank"),
    "landline": ServiceProfile(0.07, 300, "mobile-sim"),
    "mobile-sim": ServiceProfile(0.12, 270, "landline"),
    "tax-return": ServiceProfile(0.08, 600, "vehicle-tolls"),
    "vehicle-tolls": ServiceProfile(0.13, 210, "tax-return"),
}
DEFAULT_PROFILE = ServiceProfile(0.1, 300)


@dataclass(frozen=True)
class Pause:
    """A clerk's planned pause: from ``start`` (local minutes) for ``minutes``, and why."""

    start: float
    minutes: float
    reason: str


def profile(service_code: str) -> ServiceProfile:
    """The profile of a service, the default one for services the model does not know."""
    return PROFILES.get(service_code, DEFAULT_PROFILE)


def is_working_day(day: date) -> bool:
    """Pishkhan offices work Saturday to Thursday (Thursday until noon)."""
    return day.weekday() != FRIDAY


def closes(day: date) -> int:
    """When the office stops issuing tickets that day, in local minutes."""
    return CLOSES_THURSDAY if day.weekday() == THURSDAY else CLOSES


def day_factor(day: date) -> float:
    """How much busier than an ordinary day: the Jalali month's first days, Saturdays."""
    factor = 1.0
    if jdatetime.date.fromgregorian(date=day).day <= MONTH_START_DAYS:
        factor *= MONTH_START_FACTOR
    if day.weekday() == SATURDAY:
        factor *= SATURDAY_FACTOR
    return factor


def arrivals_per_minute(day: date, counters: int) -> list[tuple[float, float, float]]:
    """(from, until, citizens per minute) for each stretch of the day the office issues."""
    weight = sum((end - start) * w for start, end, w in ARRIVAL_SHAPE)
    per_weight = TICKETS_PER_COUNTER * counters * day_factor(day) / weight
    last = closes(day)
    return [
        (start, min(end, last), w * per_weight) for start, end, w in ARRIVAL_SHAPE if start < last
    ]


def lognormal(rng: random.Random, mean: float, cv: float) -> float:
    """A draw with the given mean and coefficient of variation: skewed, never negative."""
    sigma2 = math.log(1 + cv * cv)
    return rng.lognormvariate(math.log(mean) - sigma2 / 2, math.sqrt(sigma2))


def pauses(rng: random.Random, day: date, desk: int, desks: int) -> list[Pause]:
    """A clerk's pauses: maybe a mid-morning break, the noon prayer, lunch (not on Thursdays).

    Staggered by desk so that an office never pauses all at once, as managers arrange.
    """
    stagger = desk / max(desks, 1)
    planned = []
    if rng.random() < 0.5:
        planned.append(Pause(10 * 60 + 60 * stagger + rng.uniform(0, 20), 10, "break"))
    if day.weekday() != THURSDAY:
        planned.append(Pause(12 * 60 + 5 + 30 * stagger + rng.uniform(0, 5), 15, "prayer"))
        planned.append(Pause(12 * 60 + 50 + 40 * stagger + rng.uniform(0, 10), 25, "lunch"))
    return planned
