"""The data a printed ticket shows, as plain values (no server types)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum
from typing import Any

LANGUAGES = ("fa", "en")


class Paper(IntEnum):
    """Printable width in dots of the common thermal rolls (203 dpi)."""

    MM58 = 384
    MM80 = 576


@dataclass(frozen=True, slots=True)
class TicketPrint:
    """Everything the renderer needs for one ticket; built by the kiosk or print agent.

    ``people`` and ``wait`` are the server's words for the people ahead and the wait
    (``server/wording.py``), so the paper says what the kiosk, the wall and the phone
    say. ``issued_at`` must be aware: the ticket shows it in its own offset (the
    office's local time).
    """

    office_name: str
    service_name: str
    number: str
    people_ahead: int
    people: str
    wait: str
    issued_at: datetime
    status_url: str
    footer: str = ""
    language: str = "fa"
    #: The printed labels in the ticket's language (the server passes its translations);
    #: any label left out falls back to the renderer's built-in wording.
    labels: Mapping[str, str] | None = None

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> TicketPrint:
        """A ticket from the JSON the server sends to print agents (and uses itself)."""
        return cls(
            office_name=data["office_name"],
            service_name=data["service_name"],
            number=data["number"],
            people_ahead=int(data["people_ahead"]),
            people=data["people"],
            wait=data["wait"],
            issued_at=datetime.fromisoformat(data["issued_at"]),
            status_url=data["status_url"],
            footer=data.get("footer") or "",
            language=data.get("language") or "fa",
            labels=data.get("labels") or None,
        )

    def __post_init__(self) -> None:
        """Reject values that would print a misleading ticket."""
        if self.language not in LANGUAGES:
            raise ValueError(f"language must be one of {LANGUAGES}, not {self.language!r}")
        if self.people_ahead < 0:
            raise ValueError("people_ahead cannot be negative")
        if self.issued_at.tzinfo is None or self.issued_at.utcoffset() is None:
            raise ValueError("issued_at must be an aware datetime (the office's local time)")
        if not self.wait.strip() or not self.people.strip():
            raise ValueError("the people ahead and the wait must be worded")
        if not self.number.strip():
            raise ValueError("number must not be empty")
