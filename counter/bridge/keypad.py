"""Caller keypads on the plain line protocol.

The keypad sends one line per key press: its key code, ended by CR, LF or both (``N\\r``).
``[devices.keys]`` maps codes to actions; an unknown code is refused. After every press the
bridge writes one of four configurable byte strings back, so the keypad's beeper, LED or
screen tells the clerk what happened:

- ``ok``: the server did it;
- ``empty``: *next* found nobody waiting;
- ``busy``: refused unanswered, because the previous press is still being answered, or the
  same key came again within ``repeat_guard`` seconds (a double press must not call two
  citizens);
- ``error``: the server refused, or could not be reached; the log says which.

Presses are never queued: one that cannot be sent now is refused now, and what the keypad
sent while its port was closed is dropped when it opens.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import ClassVar

from counter.bridge.api import COMMANDS
from counter.bridge.port import RETRY, DeviceWorker, PortError, SerialPort
from counter.bridge.settings import ConfigError, Section, SerialSettings, as_bytes

log = logging.getLogger("nobat.bridge")

DEFAULT_KEYS = {
    "N": "next", "R": "recall", "S": "start", "C": "complete", "X": "no_show", "P": "pause",
}  # fmt: skip
FEEDBACK = {"ok": "OK\r\n", "empty": "EMPTY\r\n", "busy": "BUSY\r\n", "error": "ERROR\r\n"}
LONGEST_LINE = 64  # bytes: more without an end of line is noise on the wire, not a key


class LineKeypad:
    """A keypad's settings: its port, key codes, feedback bytes and double-press guard."""

    role: ClassVar[str] = "keypad"
    protocol: ClassVar[str] = "line"

    def __init__(
        self, name: str, serial: SerialSettings, *, keys: dict[str, str],
        feedback: dict[str, bytes], repeat_guard: float,
    ) -> None:  # fmt: skip
        self.name, self.serial, self.keys = name, serial, keys
        self.feedback, self.repeat_guard = feedback, repeat_guard

    @classmethod
    def configure(cls, name: str, serial: SerialSettings, section: Section) -> LineKeypad:
        """Read the key map (codes → actions) and the feedback bytes."""
        keys = section.table("keys", None)
        mapping = dict(DEFAULT_KEYS) if keys is None else {}
        if keys is not None:
            for code in list(keys.data):
                mapping[code.strip()] = keys.choice(code, tuple(COMMANDS))
            keys.done()
        if "" in mapping or not mapping:
            raise ConfigError(f"{section.where} [keys]: needs at least one non-blank key code.")
        given = section.table("feedback", None)
        feedback = {}
        for kind, default in FEEDBACK.items():
            text = given.raw(kind, default) if given is not None else default
            if not isinstance(text, str):
                raise ConfigError(
                    f"{section.where} [feedback]: {kind} must be a string, not {text!r}."
                )
            feedback[kind] = as_bytes(text, f"{section.where} [feedback]: {kind}")
        if given is not None:
            given.done()
        return cls(
            name, serial, keys=mapping, feedback=feedback,
            repeat_guard=section.number("repeat_guard", 0.5, low=0, high=10),
        )  # fmt: skip


class KeypadWorker(DeviceWorker):
    """Reads one keypad's lines, hands each press to ``on_press``, writes feedback back."""

    def __init__(
        self, keypad: LineKeypad, on_press: Callable[[KeypadWorker, str], None],
        stopping: threading.Event,
    ) -> None:  # fmt: skip
        super().__init__(keypad.name, keypad.serial.describe(), stopping)
        self.keypad, self.on_press = keypad, on_press
        self.port = SerialPort(keypad.serial)
        self.lock = threading.Lock()  # feedback comes from the press threads
        self.failed: str | None = None  # a feedback write failed: the reader reopens
        self.pending = b""
        self.checked = 0.0

    def connect(self) -> None:
        with self.lock:
            self.port.open()
            self.failed, self.pending = None, b""

    def disconnect(self) -> None:
        with self.lock:
            self.port.close()

    def serve(self) -> None:
        if self.failed:
            raise PortError(self.failed)
        if time.monotonic() - self.checked > RETRY:
            self.checked = time.monotonic()
            if self.port.moved():
                raise PortError("the device is gone (unplugged, or plugged back as another)")
        for code in self._lines(self.port.read()):
            self.on_press(self, code)

    def feedback(self, kind: str) -> None:
        """Tell the clerk: write the ``kind`` bytes (nothing when configured empty)."""
        data = self.keypad.feedback[kind]
        with self.lock:
            if not data:
                return
            if not self.port.is_open:
                log.warning("%s: could not say %s: the port is closed", self.label, kind)
                return
            try:
                self.port.write(data)
            except PortError as error:
                log.warning("%s: could not say %s: %s", self.label, kind, error)
                self.failed = str(error)

    def _lines(self, data: bytes) -> list[str]:
        """Complete lines of what has arrived; a fragment waits for the rest."""
        buffer = (self.pending + data).replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        *lines, self.pending = buffer.split(b"\n")
        if len(self.pending) > LONGEST_LINE:
            log.warning(
                "%s: dropping %d bytes without an end of line", self.label, len(self.pending)
            )
            self.pending = b""
        return [text for line in lines if (text := line.decode("ascii", "replace").strip())]
