"""Real parts for the counter bridge's tests and benchmark: serial devices on pseudo-terminals,
pymodbus's own server as the Modbus LED display, and ``python -m counter.bridge.cli``.

A device is wired like a USB-serial adapter: the bridge opens the pty's slave through a
symlink (as ``/dev/serial/by-id/...``); the test plays the device on the master. Unplugging
closes the pty and removes the link; plugging back makes a new pty and points the link at
it. The Modbus display is a pymodbus serial server (RTU) on a pty of its own, joined to the
bridge's pty by a relay thread, like a null-modem cable that can be pulled out.

Everything is closed by its owner: threads joined, descriptors closed, processes stopped.
"""

from __future__ import annotations

import asyncio
import os
import select
import subprocess
import sys
import threading
import time
import tty
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pymodbus import FramerType
from pymodbus.server import ModbusSerialServer
from pymodbus.simulator import DataType, SimData, SimDevice

from harness.processes import ChildProcess, wait_until

# The bridge's file for the rig's three devices in ``{folder}``.
CONFIG = """\
[server]
url = "{url}"
token = "{token}"
office = "amol"
counter = {counter}
timeout = 2

[[devices]]
name = "keypad"
role = "keypad"
protocol = "line"
port = "{folder}/keypad"
repeat_guard = 0  # presses come in quick succession here; test_bridge_units checks the guard

[[devices]]
name = "modbus display"
role = "led"
protocol = "modbus"
port = "{folder}/modbus"
blank = {blank}
[devices.registers]
sequence = 0
letter = 1
counter = 2
digits = [3, 4, 5]

[[devices]]
name = "line display"
role = "led"
protocol = "line"
port = "{folder}/line"
template = "C{{counter}} {{number}}\\r\\n"
blank = "C{{counter}} -\\r\\n"
"""


class Wire:
    """A serial adapter: a pty whose slave ``link`` names while it is plugged in."""

    def __init__(self, link: Path) -> None:
        self.link = link
        self.lock = threading.Lock()
        self.master = self.slave = -1
        self.plug()

    def plug(self) -> None:
        master, slave = os.openpty()
        tty.setraw(slave)  # no echo, no newline translation, until the bridge opens it
        with self.lock:
            self.master, self.slave = master, slave
        staged = self.link.with_suffix(".new")
        staged.unlink(missing_ok=True)
        staged.symlink_to(os.ttyname(slave))
        staged.replace(self.link)

    def unplug(self) -> None:
        self.link.unlink(missing_ok=True)
        with self.lock:
            for fd in (self.master, self.slave):
                if fd >= 0:
                    os.close(fd)
            self.master = self.slave = -1

    def write(self, data: bytes) -> None:
        with self.lock:
            os.write(self.master, data)

    def read(self, timeout: float = 0.01) -> bytes:
        """What the bridge wrote, waiting at most ``timeout`` (b"" while unplugged).

        Under the lock, so that an unplug never closes the descriptor under the read.
        """
        with self.lock:
            if self.master < 0:
                data = b""
            elif select.select([self.master], [], [], timeout)[0]:
                data = os.read(self.master, 4096)
            else:
                data = b""
        if self.master < 0:
            time.sleep(timeout)
        return data


class Listener:
    """A thread that keeps reading a wire, so that tests can wait for what arrived."""

    def __init__(self, wire: Wire) -> None:
        self.wire, self.received = wire, bytearray()
        self.arrivals: list[tuple[float, bytes]] = []  # (time.monotonic(), bytes) for benches
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._listen, daemon=True)
        self.thread.start()

    def _listen(self) -> None:
        while not self.stopping.is_set():
            data = self.wire.read()
            if data:
                self.arrivals.append((time.monotonic(), data))
                self.received += data

    def take(self) -> bytes:
        """Everything received so far, forgotten afterwards."""
        data = bytes(self.received)
        del self.received[: len(data)]
        return data

    def wait(self, expected: bytes, timeout: float = 10) -> None:
        wait_until(
            lambda: expected in self.received, f"{expected!r} on {self.wire.link.name}", timeout
        )

    def close(self) -> None:
        self.stopping.set()
        self.thread.join(2)


class Keypad(Listener):
    """A caller keypad: presses are lines, feedback is read back."""

    def press(self, code: str) -> None:
        self.wire.write(code.encode() + b"\r")

    def feedback(self, expected: bytes, timeout: float = 10) -> None:
        self.wait(expected, timeout)
        self.take()


class LineDisplay(Listener):
    """A display that takes lines of text."""

    def last(self) -> str | None:
        """The last line received."""
        lines = bytes(self.received).decode().splitlines()
        return lines[-1] if lines else None

    def showing(self, text: str, timeout: float = 10) -> None:
        wait_until(lambda: self.last() == text, f"the line display to show {text!r}", timeout)


@dataclass
class ModbusDisplay:
    """pymodbus's serial server as an LED display, at the end of a pull-out cable (``wire``)."""

    wire: Wire
    unit: int = 1
    registers: int = 16
    writes: list[tuple[float, int, list[int]]] = field(
        default_factory=list
    )  # (when, first, values)

    def __post_init__(self) -> None:
        self.master, slave = os.openpty()
        tty.setraw(slave)
        self.slave = slave
        self.loop = asyncio.new_event_loop()
        self.stopping = threading.Event()
        self.threads = [
            threading.Thread(target=self.loop.run_forever, daemon=True),
            threading.Thread(target=self._relay, daemon=True),
        ]
        for thread in self.threads:
            thread.start()
        self.server = self._run(self._serve(os.ttyname(slave)))

    async def _serve(self, port: str) -> ModbusSerialServer:
        device = SimDevice(
            id=self.unit,
            simdata=[SimData(0, count=self.registers, values=0, datatype=DataType.REGISTERS)],
            action=self._seen,
        )
        server = ModbusSerialServer(device, framer=FramerType.RTU, port=port, baudrate=9600)
        await server.serve_forever(background=True)
        return server

    async def _seen(
        self, _code: int, _start: int, address: int, _count: int, _registers: list[int],
        values: list[int] | list[bool] | None,
    ) -> None:  # fmt: skip
        if values is not None:  # a write (reads pass with None)
            self.writes.append((time.monotonic(), address, [int(v) for v in values]))

    def holding(self, first: int, count: int) -> list[int]:
        """Holding registers as the display's own datastore holds them."""
        return self._run(self.server.async_getValues(self.unit, 3, first, count))

    def showing(self, first: int, values: list[int], timeout: float = 10) -> None:
        wait_until(
            lambda: self.holding(first, len(values)) == values,
            f"Modbus registers {first}… to hold {values}",
            timeout,
        )

    def _relay(self) -> None:
        """Copy bytes both ways between the display's pty and the bridge's (when plugged)."""
        while not self.stopping.is_set():
            with self.wire.lock:  # an unplug waits for this round
                other = self.wire.master
                watched = [self.master] + ([other] if other >= 0 else [])
                for fd in select.select(watched, [], [], 0.01)[0]:
                    data = os.read(fd, 4096)
                    if fd != self.master:
                        os.write(self.master, data)
                    elif other >= 0:
                        os.write(other, data)
            if other < 0:
                time.sleep(0.01)

    def _run(self, coroutine: Any, timeout: float = 10) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def close(self) -> None:
        self._run(self.server.shutdown())
        self.stopping.set()
        self.loop.call_soon_threadsafe(self.loop.stop)
        for thread in self.threads:
            thread.join(5)
        self.loop.close()
        os.close(self.master)
        os.close(self.slave)


@dataclass
class BridgeProcess(ChildProcess):
    """``python -m counter.bridge.cli`` as a counter PC runs it; its log goes to ``log``."""

    config: Path
    log: Path
    process: subprocess.Popen | None = None

    def configure(self, url: str, token: str, counter: int, blank: int) -> None:
        """Write CONFIG for the devices whose links are beside the file."""
        folder = self.config.parent
        self.config.write_text(
            CONFIG.format(url=url, token=token, counter=counter, folder=folder, blank=blank)
        )

    def start(self) -> None:
        """Start and wait until it is connected to the server."""
        before = self.connections()
        self.spawn([sys.executable, "-m", "counter.bridge.cli", "--config", str(self.config)])
        self.wait_connected(before + 1)


@dataclass
class CounterPc:
    """What stands at a counter: a keypad, a Modbus and a line LED display, and the bridge."""

    keypad: Keypad
    modbus: ModbusDisplay
    line: LineDisplay
    bridge: BridgeProcess


@contextmanager
def counter_pc(folder: Path, registers: int) -> Iterator[CounterPc]:
    """The devices plugged in on ptys beside ``folder``'s links, and a bridge not yet
    started; afterwards the bridge stopped and every device closed and unplugged."""
    wires = {name: Wire(folder / name) for name in ("keypad", "modbus", "line")}
    pc = CounterPc(
        Keypad(wires["keypad"]),
        ModbusDisplay(wires["modbus"], registers=registers),
        LineDisplay(wires["line"]),
        BridgeProcess(folder / "bridge.toml", folder / "bridge.log"),
    )
    try:
        yield pc
    finally:
        pc.bridge.stop()
        for device in (pc.keypad, pc.line, pc.modbus):
            device.close()
        for wire in wires.values():
            wire.unplug()
