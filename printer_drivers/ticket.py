"""The data a printed ticket shows, as plain values (no server types)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum

LANGUAGES = ("fa", "en")


class Paper(IntEnum):
    """Printable width in dots of the common thermal rolls (203 dpi)."""

    MM58 = 384
    MM80 = 576


@dataclass(frozen=True, slots=True)
class TicketPrint:
    """Everything the renderer needs for one ticket; built by the kiosk or print agent.

    ``estimate_minutes`` is a (low, high) range so the citizen sees the uncertainty,
    or None when the server cannot estimate. ``issued_at`` must be aware: the ticket
    shows it in its own offset (the office's local time).
    """

    office_name: str
    service_name: str
    number: str
    people_ahead: int
    estimate_minutes: tuple[int, int] | None
    issued_at: datetime
    status_url: str
    footer: str = ""
    language: str = "fa"

    def __post_init__(self) -> None:
        """Reject values that would print a misleading ticket."""
        if self.language not in LANGUAGES:
            raise ValueError(f"language must be one of {LANGUAGES}, not {self.language!r}")
        if self.people_ahead < 0:
            raise ValueError("people_ahead cannot be negative")
        if self.estimate_minutes is not None:
            low, high = self.estimate_minutes
            if low < 0 or high < low:
                raise ValueError(f"estimate_minutes must be 0 <= low <= high, not {low, high}")
        if self.issued_at.tzinfo is None or self.issued_at.utcoffset() is None:
            raise ValueError("issued_at must be an aware datetime (the office's local time)")
        if not self.number.strip():
            raise ValueError("number must not be empty")
