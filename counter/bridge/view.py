"""What one counter's displays show, kept from the office's board, its events and the API's
answers to the bridge's own key presses.

The rules are the wall display's (``server/static/nobat-live.js``), narrowed to one
counter: a ticket called (or reinstated), recalled, started or resumed at this counter is
shown; the ticket shown that is then finished, sent away or put aside leaves the display
blank; so does the counter closing.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from counter.bridge.display import Shown

log = logging.getLogger("nobat.bridge")

SHOWN_AFTER = frozenset({"called", "reinstated", "recalled", "started", "resumed"})
BLANK_AFTER = frozenset({"done", "no_show", "transferred", "parked", "expired", "cancelled"})
AT_COUNTER = frozenset({"called", "serving"})  # statuses of a counter's current ticket


class CounterView:
    """The counter's current ticket and number; ``on_change`` hears every new ``Shown``."""

    def __init__(self, counter: int, on_change: Callable[[Shown], None]) -> None:
        self.counter, self.on_change = counter, on_change
        self.lock = threading.Lock()
        self.ticket: dict[str, Any] | None = None
        self.number: int | None = None  # the counter's own number, from the server
        self.live = False  # a board has come on the current connection
        self.shown: Shown | None = None

    def take_board(self, board: dict[str, Any]) -> None:
        """A snapshot of the office: replaces whatever was known."""
        mine = [c for c in board.get("counters", []) if c.get("id") == self.counter]
        if not mine:
            log.error(
                "counter %s is not one of office %s's counters: check server.counter",
                self.counter, board.get("office"),
            )  # fmt: skip
            return
        with self.lock:
            self.ticket, self.number, self.live = mine[0].get("ticket"), mine[0].get("number"), True
            self._changed()

    def apply(self, event: dict[str, Any]) -> None:
        """One office event, applied in sequence."""
        kind, ticket = event.get("type"), event.get("ticket")
        with self.lock:
            if kind == "counter":
                counter = event.get("counter") or {}
                if counter.get("id") == self.counter:
                    self.number = counter.get("number", self.number)
                    if counter.get("state") == "closed":
                        self.ticket = None
            elif not isinstance(ticket, dict):
                return
            elif kind in SHOWN_AFTER and _counter_of(ticket) == self.counter:
                self.ticket = ticket
            elif kind in BLANK_AFTER and self._shows(ticket):
                self.ticket = None
            self._changed()

    def adopt(self, ticket: dict[str, Any]) -> None:
        """A ticket the API answered with: shown at once, before its event arrives."""
        with self.lock:
            if ticket.get("status") in AT_COUNTER and _counter_of(ticket) == self.counter:
                self.ticket = ticket
                counter = ticket.get("counter")
                if isinstance(counter, dict):
                    self.number = counter.get("number", self.number)
            elif self._shows(ticket):
                self.ticket = None
            self._changed()

    def nothing_waits(self) -> None:
        """*Next* answered 204: the ticket there was finished and none was called."""
        with self.lock:
            self.ticket = None
            self._changed()

    def current(self) -> int | None:
        """The id of the ticket at the counter, as far as this view knows."""
        with self.lock:
            return self.ticket.get("id") if self.ticket else None

    def lost(self) -> None:
        """The socket dropped: keep showing the last number, but stop trusting it for commands."""
        with self.lock:
            self.live = False

    def _shows(self, ticket: dict[str, Any]) -> bool:
        return self.ticket is not None and self.ticket.get("id") == ticket.get("id")

    def _changed(self) -> None:
        if self.number is None:
            return  # nothing to write before the server has said which counter this is
        shown = Shown(self.number, self.ticket.get("number") if self.ticket else None)
        if shown != self.shown:
            self.shown = shown
            log.info(
                "counter %s (number %s) now shows %s", self.counter, shown.counter, shown.describe()
            )
            self.on_change(shown)  # under the lock: the displays get changes in order


def _counter_of(ticket: dict[str, Any]) -> int | None:
    """Events name the counter by id, API answers as ``{id, number, name}``."""
    counter = ticket.get("counter")
    return counter.get("id") if isinstance(counter, dict) else counter
