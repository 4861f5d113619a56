"""Tunable behaviour of the queue engine, independent of where it is configured."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EngineSettings:
    #: After this many priority calls in a row at a counter, the oldest ordinary ticket goes next.
    priority_bound: int = 3
    #: Assumed service time until a service has enough history of its own.
    default_service_seconds: int = 300
    #: How many recent served tickets the service time estimate averages.
    estimate_sample: int = 30
    #: Fewer samples than this and the default is used.
    estimate_min_samples: int = 3
    #: Seconds a computed service time is reused before it is read again.
    estimate_cache_seconds: float = 30.0
    #: Tickets a service issues a day when it sets no cap of its own (None: no cap).
    default_daily_cap: int | None = 500
    #: Times staff may print a ticket again (server/engine/reprints.py).
    reprint_limit: int = 3

    def __post_init__(self) -> None:
        if self.priority_bound < 1:
            raise ValueError("priority_bound must be at least 1")
        if self.default_service_seconds < 1:
            raise ValueError("default_service_seconds must be positive")
        if self.default_daily_cap is not None and self.default_daily_cap < 1:
            raise ValueError("default_daily_cap must be positive (None: no cap)")
        if self.reprint_limit < 0:
            raise ValueError("reprint_limit must not be negative")

    def daily_cap(self, own: int | None) -> int | None:
        """The cap that holds for a service: its own, else the default."""
        return own if own is not None else self.default_daily_cap
