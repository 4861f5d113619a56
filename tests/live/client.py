"""A display as the protocol expects one to behave: snapshot, ordered events, gap and failover.

The same rules as the browser library (server/static/nobat-live.js): events are
applied strictly in sequence; an early event waits briefly for the ones before
it; a gap that does not fill, or a reconnect, fetches a fresh snapshot.
"""

from __future__ import annotations

import contextlib
import threading
import time
from typing import Any

import socketio

EVENTS = (
    "issued", "called", "reinstated", "recalled", "started", "parked", "resumed", "done",
    "no_show", "transferred", "cancelled", "expired", "counter", "reprinted",
)  # fmt: skip
AT_COUNTER = ("called", "reinstated", "recalled", "started", "resumed")
LEFT_COUNTER = ("done", "no_show", "transferred", "expired", "parked")
GAP_WAIT = 0.5


class LiveClient:
    def __init__(self, urls: list[str], token: str) -> None:
        self.urls = urls
        self.token = token
        self.lock = threading.RLock()
        self.seq = -1
        self.board: dict[str, Any] | None = None
        self.applied: list[dict[str, Any]] = []  # every event applied, in order
        self.snapshots = 0
        self.buffer: dict[int, dict[str, Any]] = {}
        self.gap_since: float | None = None
        self.sio = socketio.Client(reconnection=False)
        self.sio.on("snapshot", self._on_snapshot)
        for name in EVENTS:
            self.sio.on(name, self._on_event)
        self.sio.on("disconnect", self._on_disconnect)
        self.wanted = True
        self.url_index = 0

    # --- connection -------------------------------------------------------------------

    def connect(self, timeout: float = 10) -> None:
        """Connect to the first URL that answers (the next one after a failure)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            url = self.urls[self.url_index % len(self.urls)]
            try:
                self.sio.connect(
                    url, auth={"token": self.token}, transports=["websocket"], wait_timeout=3
                )
                return
            except socketio.exceptions.ConnectionError:
                self.url_index += 1
                time.sleep(0.2)
        raise TimeoutError("no server accepted the connection")

    def _on_disconnect(self, *_args: Any) -> None:
        if self.wanted:
            threading.Thread(target=self._reconnect, daemon=True).start()

    def _reconnect(self) -> None:
        time.sleep(0.1)
        self.url_index += 1
        with contextlib.suppress(TimeoutError):
            self.connect(timeout=30)

    def close(self) -> None:
        self.wanted = False
        self.sio.disconnect()

    # --- the protocol -----------------------------------------------------------------

    def _on_snapshot(self, board: dict[str, Any]) -> None:
        with self.lock:
            if board["seq"] < self.seq:
                return
            self.board, self.seq = board, board["seq"]
            self.snapshots += 1
            self._drain()

    def _on_event(self, event: dict[str, Any]) -> None:
        with self.lock:
            if event["seq"] <= self.seq:
                return
            self.buffer[event["seq"]] = event
            self._drain()
        self._check_gap()

    def _drain(self) -> None:
        for stale in [s for s in self.buffer if s <= self.seq]:
            del self.buffer[stale]
        while self.seq + 1 in self.buffer:
            event = self.buffer.pop(self.seq + 1)
            self.seq = event["seq"]
            self.applied.append(event)
            apply(self.board, event)
        self.gap_since = (self.gap_since or time.monotonic()) if self.buffer else None

    def _check_gap(self) -> None:
        with self.lock:
            waited = self.gap_since is not None and time.monotonic() - self.gap_since > GAP_WAIT
        if waited:
            self.refresh()

    def refresh(self) -> None:
        """Ask for a fresh snapshot (after a gap that did not fill).

        On a socket that has just dropped (its server killed) the request cannot go out or
        is never answered: the reconnect's own snapshot heals the gap, as in the browser.
        """
        try:
            board = self.sio.call("snapshot", timeout=10)
        except (socketio.exceptions.BadNamespaceError, socketio.exceptions.TimeoutError):
            return
        self._on_snapshot(board)

    def settle(self, seq: int, timeout: float = 10) -> None:
        """Wait until events up to ``seq`` are applied, fetching a snapshot if a gap persists."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if self.seq >= seq:
                    return
            self._check_gap()
            time.sleep(0.05)
        raise TimeoutError(f"stuck at seq {self.seq}, wanted {seq}")


def apply(board: dict[str, Any] | None, event: dict[str, Any]) -> None:
    """Apply one event to a board as the wall display does."""
    if board is None:
        return
    board["seq"] = event["seq"]
    ticket = event.get("ticket")
    kind = event["type"]
    services = {s["code"]: s for s in board["services"]}
    counters = {c["id"]: c for c in board["counters"]}
    if kind == "counter":
        counters[event["counter"]["id"]].update(event["counter"])
        return
    if kind == "issued":
        services[ticket["service"]]["waiting"] += 1
    elif kind in ("called", "cancelled") or (kind == "expired" and ticket.get("counter") is None):
        services[ticket["service"]]["waiting"] -= 1
    if kind in AT_COUNTER:
        counters[ticket["counter"]]["ticket"] = ticket
    elif kind in LEFT_COUNTER and ticket.get("counter"):
        current = counters[ticket["counter"]].get("ticket")
        if current and current["id"] == ticket["id"]:
            counters[ticket["counter"]]["ticket"] = None
