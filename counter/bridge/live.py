"""The office's live events for the counter's view, by the protocol's rules (``server/live/``).

Events are applied strictly in sequence; an early one waits up to ``GAP_WAIT`` for those
before it; a gap that does not fill asks for a fresh board (answered through the ack). A
new connection forgets the sequence and starts from the board the server sends on
connect, so a restarted server, or changes made while the bridge was away, show at once.
The connection is kept by ``run()``, which reconnects with backoff for as long as it runs.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from typing import Any

import socketio

from counter.bridge.view import CounterView

log = logging.getLogger("nobat.bridge")

EVENTS = (
    "issued", "called", "reinstated", "recalled", "started", "parked", "resumed", "done",
    "no_show", "transferred", "cancelled", "expired", "counter", "reprinted",
)  # fmt: skip
GAP_WAIT = 0.5
BACKOFF = (0.5, 2.0)  # first and longest wait between connection attempts: back soon
STILL_DOWN = 60.0  # seconds between reminders that the server is still unreachable


class LiveConnection:
    """One Socket.IO connection to the office, feeding one CounterView."""

    def __init__(self, url: str, token: str, office: str, view: CounterView) -> None:
        self.url, self.auth, self.view = url, {"token": token, "office": office}, view
        self.lock = threading.Lock()
        self.seq = -1
        self.buffer: dict[int, dict[str, Any]] = {}
        self.gap_timer: threading.Timer | None = None
        self.dropped = threading.Event()
        self.stopping = threading.Event()
        self.connections = 0
        self.sio = socketio.Client(reconnection=False, handle_sigint=False)
        self.sio.on("snapshot", self.take_board)
        for name in EVENTS:
            self.sio.on(name, self.receive)
        self.sio.on("disconnect", self._on_disconnect)

    def run(self) -> None:
        """Stay connected until stop(); on a drop, start over with a fresh board."""
        delay, failures, reminded = BACKOFF[0], 0, 0.0
        while not self.stopping.is_set():
            problem = self._connect()
            if problem is not None:
                failures += 1
                if failures == 1 or time.monotonic() - reminded > STILL_DOWN:
                    log.warning(
                        "server %s unreachable (attempt %d): %s", self.url, failures, problem
                    )
                    reminded = time.monotonic()
                self.stopping.wait(delay * random.uniform(0.8, 1.2))
                delay = min(delay * 2, BACKOFF[1])
                continue
            delay, failures = BACKOFF[0], 0
            self.dropped.wait()
            self.view.lost()
            if not self.stopping.is_set():
                log.warning("lost the server %s; reconnecting", self.url)
        self.sio.disconnect()

    def stop(self) -> None:
        self.stopping.set()
        self.dropped.set()

    def take_board(self, board: Any) -> None:
        """The board sent on connect, or answering our ``snapshot`` request."""
        if not isinstance(board, dict) or not isinstance(board.get("seq"), int):
            log.warning("the server sent no usable board: %.200r", board)
            return
        with self.lock:
            if board["seq"] < self.seq:
                return
            self.seq = board["seq"]
            self.view.take_board(board)
            self._drain()

    def receive(self, event: Any) -> None:
        """One numbered event; applied now, or once those before it have come."""
        if not isinstance(event, dict) or not isinstance(event.get("seq"), int):
            log.warning("ignoring a malformed event: %.200r", event)
            return
        with self.lock:
            if event["seq"] <= self.seq:
                return
            self.buffer[event["seq"]] = event
            self._drain()

    def refresh(self) -> None:
        """Ask for a fresh board; the answer comes through the ack."""
        try:
            self.sio.emit(
                "snapshot", callback=lambda *answer: self.take_board(answer[0] if answer else None)
            )
        except socketio.exceptions.SocketIOError as error:
            log.warning("could not ask for a fresh board: %s", error)

    def _connect(self) -> str | None:
        """One attempt; None when connected, else why not."""
        self.dropped.clear()
        with self.lock:
            self.seq, self.buffer = -1, {}  # the board that comes with the connection is taken
        try:
            self.sio.connect(self.url, auth=self.auth, transports=["websocket"], wait_timeout=5)
        except (socketio.exceptions.ConnectionError, ValueError) as error:
            return str(error) or type(error).__name__
        self.connections += 1
        log.info("connected to %s (office %s)", self.url, self.auth["office"])
        return None

    def _on_disconnect(self, *_reason: Any) -> None:
        self.dropped.set()

    def _drain(self) -> None:
        """Apply the buffered events that follow; time a gap that remains (lock held)."""
        for stale in [seq for seq in self.buffer if seq <= self.seq]:
            del self.buffer[stale]
        while self.seq + 1 in self.buffer:
            event = self.buffer.pop(self.seq + 1)
            self.seq = event["seq"]
            self.view.apply(event)
        if self.buffer and self.gap_timer is None:
            self.gap_timer = threading.Timer(GAP_WAIT, self._gap)
            self.gap_timer.daemon = True
            self.gap_timer.start()
        elif not self.buffer and self.gap_timer is not None:
            self.gap_timer.cancel()
            self.gap_timer = None

    def _gap(self) -> None:
        with self.lock:
            self.gap_timer = None
            missing = bool(self.buffer)
            seq = self.seq
        if missing:
            log.info("events after %d did not come; asking for a fresh board", seq)
            self.refresh()
