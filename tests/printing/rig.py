"""Real processes for the print agent tests: ``python -m kiosk.agent``, a fake serial
printer on a pseudo-terminal, and a kiosk screen's socket (``nobat serve`` itself is
``harness.demo.Server``).

Everything here is closed by its owner: processes are stopped (their whole process group
when killed), file descriptors closed, threads joined, sockets disconnected.
"""

from __future__ import annotations

import os
import select
import subprocess
import sys
import threading
import tty
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import socketio

from harness.processes import ChildProcess, wait_until
from tests.printer_drivers.conftest import FakeEscposPrinter


class PtyPrinter:
    """A fake serial printer behind a pseudo-terminal; ``reset()`` gives it a fresh state."""

    def __init__(self) -> None:
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)  # no echo, no newline translation, as on a real serial line
        self.printer = FakeEscposPrinter()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"serial://{os.ttyname(self.slave)}?baudrate=115200&timeout=1"

    def reset(self) -> FakeEscposPrinter:
        self.printer = FakeEscposPrinter()
        return self.printer

    def _serve(self) -> None:
        while not self.stopping.is_set():
            if not select.select([self.master], [], [], 0.02)[0]:
                continue
            try:
                data = os.read(self.master, 65536)
            except OSError:
                continue
            reply = self.printer.feed(data)
            if reply:
                os.write(self.master, reply)

    def close(self) -> None:
        self.stopping.set()
        self.thread.join(2)
        os.close(self.master)
        os.close(self.slave)


@dataclass
class AgentProcess(ChildProcess):
    """``python -m kiosk.agent`` as a kiosk PC runs it; its stderr goes to ``log``."""

    server: str
    token: str
    printer: str
    log: Path
    process: subprocess.Popen | None = None

    def start(self) -> None:
        """Start the agent and wait until it has connected (and so asked for pending jobs)."""
        before = self.connections()
        self.launch()
        self.wait_connected(before + 1)

    def launch(self) -> None:
        command = [sys.executable, "-m", "kiosk.agent", "--server", self.server]
        self.spawn([*command, "--token", self.token, "--printer", self.printer])


class KioskSocket:
    """The kiosk screen's Socket.IO connection (kiosk token, no agent flag)."""

    def __init__(self, url: str, token: str) -> None:
        self.statuses: list[dict[str, Any]] = []
        self.sio = socketio.Client(reconnection=False, handle_sigint=False)
        self.sio.on("print_status", self.statuses.append)
        self.sio.connect(url, auth={"token": token}, transports=["websocket"], wait_timeout=5)

    def status(self, job_id: int, state: str, timeout: float = 15) -> dict[str, Any]:
        """The first ``print_status`` of this job in this state."""

        def seen() -> dict[str, Any] | None:
            found = [s for s in self.statuses if s["id"] == job_id and s["state"] == state]
            return found[0] if found else None

        return wait_until(seen, f"print_status {state} for job {job_id}", timeout)

    def close(self) -> None:
        self.sio.disconnect()
