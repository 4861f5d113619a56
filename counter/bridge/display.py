"""LED counter displays: what they show, the thread that keeps them showing it, and the
plain line protocol (one configurable line of text per change).

A display is written whenever what it should show changes, again as soon as its port is
open again after an unplug, and every ``refresh`` seconds besides, so that a display that
lost power, or missed a write, catches up on its own.
"""

from __future__ import annotations

import codecs
import logging
import math
import re
import threading
import time
from dataclasses import dataclass
from typing import ClassVar

from counter.bridge.port import RETRY, DeviceWorker, PortError, SerialPort
from counter.bridge.settings import ConfigError, Section, SerialSettings

log = logging.getLogger("nobat.bridge")

_NUMBER = re.compile(r"^(?P<letter>\D*?)-?(?P<digits>\d+)$")


@dataclass(frozen=True)
class Shown:
    """What the counter's display shows: its counter number and the current ticket, if any."""

    counter: int
    number: str | None = None  # "B-007"; None shows blank

    @property
    def letter(self) -> str:
        """The service letter ("B"), or "" when blank."""
        return self._parts()[0]

    @property
    def digits(self) -> str:
        """The number's digits as printed ("007"), or "" when blank."""
        return self._parts()[1]

    def _parts(self) -> tuple[str, str]:
        match = _NUMBER.match(self.number or "")
        return (match["letter"], match["digits"]) if match else ("", "")

    def describe(self) -> str:
        return self.number or "nothing"


class DisplayError(Exception):
    """The port is fine but the display refused a write or did not answer it."""


class Display:
    """A display protocol: opened, written and closed by its DisplayWorker, never elsewhere."""

    role: ClassVar[str] = "led"
    protocol: ClassVar[str]

    def __init__(self, name: str, serial: SerialSettings, refresh: float) -> None:
        self.name, self.serial, self.refresh = name, serial, refresh

    def open(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def write(self, shown: Shown) -> None:
        """Show ``shown``; PortError when the port failed, DisplayError when the display did."""
        raise NotImplementedError

    def moved(self) -> bool:
        """Whether the port's path now names another device, or none (see port.moved)."""
        raise NotImplementedError

    @staticmethod
    def read_refresh(section: Section) -> float:
        return section.number("refresh", 10.0, low=0, high=3600)


class DisplayWorker(DeviceWorker):
    """Keeps one display showing the latest ``show()``: coalesced, rewritten after a replug."""

    def __init__(self, display: Display, stopping: threading.Event) -> None:
        super().__init__(display.name, display.serial.describe(), stopping)
        self.display = display
        self.wanted: Shown | None = None  # nothing is written before the server has told
        self.written: Shown | None = None
        self.due = math.inf  # when to write again even without a change
        self.wake = threading.Event()
        self.silent = False  # the display stopped answering (logged once)

    def show(self, shown: Shown) -> None:
        """Called from the socket and key press threads; returns at once."""
        self.wanted = shown
        self.wake.set()

    def connect(self) -> None:
        self.display.open()
        self.written = None

    def disconnect(self) -> None:
        self.display.close()

    def serve(self) -> None:
        self.wake.clear()  # before reading: a show() from now on wakes the wait below
        wanted, now = self.wanted, time.monotonic()
        if wanted is not None and (wanted != self.written or now >= self.due):
            try:
                self.display.write(wanted)
            except DisplayError as error:
                if not self.silent:
                    log.warning("%s: %s; trying again every second", self.label, error)
                    self.silent = True
                self.written = None
                self.stopping.wait(RETRY)
                return
            if self.silent:
                log.info("%s: the display answers again", self.label)
                self.silent = False
            if wanted != self.written:
                log.info("%s: shows %s", self.label, wanted.describe())
            self.written = wanted
            self.due = now + self.display.refresh if self.display.refresh else math.inf
        if self.display.moved():
            raise PortError("the device is gone (unplugged, or plugged back as another)")
        self.wake.wait(min(RETRY, max(0.0, self.due - time.monotonic())))


class LineDisplay(Display):
    """A display that takes a line of text: ``template`` per ticket, ``blank`` for none."""

    protocol = "line"
    FIELDS = ("number", "letter", "digits", "sequence", "counter")

    def __init__(
        self, name: str, serial: SerialSettings, refresh: float, *,
        template: str, blank: str, encoding: str,
    ) -> None:  # fmt: skip
        super().__init__(name, serial, refresh)
        self.template, self.blank, self.encoding = template, blank, encoding
        self.port = SerialPort(serial)

    @classmethod
    def configure(cls, name: str, serial: SerialSettings, section: Section) -> LineDisplay:
        """Read and try out the templates, so that a mistake shows at start, not at a call."""
        display = cls(
            name, serial, cls.read_refresh(section),
            template=section.text("template", "{number}\r\n"),
            blank=section.raw("blank", "\r\n"),
            encoding=section.text("encoding", "ascii"),
        )  # fmt: skip
        if not isinstance(display.blank, str):
            raise ConfigError(f"{section.where}: blank must be a string, not {display.blank!r}.")
        try:
            codecs.lookup(display.encoding)
        except LookupError:
            raise ConfigError(
                f"{section.where}: encoding {display.encoding!r} is not a known text encoding."
            ) from None
        for field, sample, fields in (
            ("template", Shown(1, "B-007"), cls.FIELDS),
            ("blank", Shown(1), ("counter",)),
        ):
            try:
                display.render(sample)
            except (KeyError, IndexError, ValueError, AttributeError) as error:
                named = ", ".join(f"{{{f}}}" for f in fields)
                raise ConfigError(
                    f"{section.where}: {field} {getattr(display, field)!r} cannot be filled in "
                    f"({type(error).__name__}: {error}); it may use {named}."
                ) from None
        return display

    def fill(self, template: str, shown: Shown) -> str:
        """The template with the ticket's fields filled in."""
        digits = shown.digits
        return template.format(
            number=shown.number or "", letter=shown.letter, digits=digits,
            sequence=int(digits) if digits else 0, counter=shown.counter,
        )  # fmt: skip

    def render(self, shown: Shown) -> bytes:
        """The bytes of the line for ``shown``."""
        if shown.number:
            line = self.fill(self.template, shown)
        else:
            line = self.blank.format(counter=shown.counter)
        try:
            return line.encode(self.encoding)
        except UnicodeEncodeError:
            raise ValueError(f"{line!r} cannot be written in {self.encoding}") from None

    def open(self) -> None:
        self.port.open()

    def close(self) -> None:
        self.port.close()

    def write(self, shown: Shown) -> None:
        try:
            data = self.render(shown)
        except ValueError as error:  # a ticket number the encoding cannot write
            raise DisplayError(str(error)) from None
        self.port.write(data)

    def moved(self) -> bool:
        return self.port.moved()
