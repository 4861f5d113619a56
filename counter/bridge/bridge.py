"""The bridge: a counter's keypads and displays, its view of the office, and key presses.

Threads: one per device (``port.DeviceWorker``), the Socket.IO client's, and one per key
press being answered. At most one press is answered at a time; a press that comes
meanwhile is refused with *busy*, never queued.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from counter.bridge.api import COMMANDS, Answer, CounterApi
from counter.bridge.config import Config
from counter.bridge.display import DisplayWorker, Shown
from counter.bridge.keypad import KeypadWorker
from counter.bridge.live import LiveConnection
from counter.bridge.view import CounterView

log = logging.getLogger("nobat.bridge")


class Bridge:
    """Everything one configuration file describes, running until ``stop()``."""

    def __init__(self, config: Config) -> None:
        server = config.server
        self.config, self.stopping = config, threading.Event()
        self.displays = [DisplayWorker(d, self.stopping) for d in config.displays]
        self.keypads = [KeypadWorker(k, self.press, self.stopping) for k in config.keypads]
        self.view = CounterView(server.counter, self.show)
        self.api = CounterApi(server.url, server.token, server.counter, server.timeout)
        self.live = LiveConnection(server.url, server.token, server.office, self.view)
        self.answering = threading.Lock()  # held while a press is being answered
        self.answered: dict[tuple[str, str], float] = {}  # (keypad, code) → when it was answered

    def run(self) -> None:
        """Start the devices, then hold the server connection until stop()."""
        for worker in (*self.displays, *self.keypads):
            worker.start()
        try:
            self.live.run()
        finally:
            self.stopping.set()
            for worker in (*self.displays, *self.keypads):
                worker.join(timeout=3)
            self.api.close()
            log.info("stopped")

    def stop(self, *_signal: Any) -> None:
        """Leave (SIGTERM, SIGINT): the press being answered still gets its feedback."""
        self.live.stop()

    def show(self, shown: Shown) -> None:
        """The view changed: every display gets it (each writes in its own thread)."""
        for display in self.displays:
            display.show(shown)

    def press(self, keypad: KeypadWorker, code: str) -> None:
        """A key press, from a keypad's thread: answered in a thread of its own, or refused."""
        action = keypad.keypad.keys.get(code)
        if action is None:
            log.warning("%s: key %r is not in the key map; refused", keypad.label, code)
            keypad.feedback("error")
            return
        guard = keypad.keypad.repeat_guard
        last = self.answered.get((keypad.label, code), -guard)
        if time.monotonic() - last < guard:
            why = f"the same key was answered less than {guard:g} s ago"
        elif not self.answering.acquire(blocking=False):
            why = "the previous press is still being answered"
        else:
            why = ""
        if why:
            log.info("%s: key %r → %s → busy (%s)", keypad.label, code, action, why)
            keypad.feedback("busy")
            return
        threading.Thread(
            target=self._answer, args=(keypad, code, action), name="nobat-bridge-press", daemon=True
        ).start()

    def _answer(self, keypad: KeypadWorker, code: str, action: str) -> None:
        try:
            kind, outcome = self.perform(action)
        except Exception as error:  # a bug must cost one press, not the bridge
            log.exception("%s: key %r → %s failed", keypad.label, code, action)
            kind, outcome = "error", repr(error)
        try:
            keypad.feedback(kind)
            level = logging.INFO if kind in ("ok", "empty") else logging.WARNING
            log.log(level, "%s: key %r → %s → %s (%s)", keypad.label, code, action, kind, outcome)
        finally:
            self.answered[(keypad.label, code)] = time.monotonic()
            self.answering.release()

    def perform(self, action: str) -> tuple[str, str]:
        """Send the action to the server: the feedback kind and what happened, for the log."""
        sure = self.view.live
        if sure:
            current = self.view.current()
        elif COMMANDS[action].on_ticket:  # the board is not live: ask
            found, answer = self.api.current_ticket()
            if found is None and answer.problem:
                return "error", answer.problem
            current = found.get("id") if found else None
        else:
            current = None
        if COMMANDS[action].on_ticket and current is None:
            return "error", "no ticket at this counter"
        answer = self.api.send(action, current, sure=sure)
        if not answer.ok:
            return "error", answer.problem
        if answer.status == 204:
            self.view.nothing_waits()
            return "empty", "nothing waits for this counter"
        if answer.ticket is not None:
            self.view.adopt(answer.ticket)
            return "ok", f"{answer.ticket['number']} is {answer.ticket.get('status')}"
        return "ok", _counter_state(answer)


def _counter_state(answer: Answer) -> str:
    body = answer.body if isinstance(answer.body, dict) else {}
    return f"counter {body.get('number', '?')} is {body.get('state', '?')}"
