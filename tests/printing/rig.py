"""Real processes for the print agent tests: ``nobat serve``, ``python -m kiosk.agent``, a
fake serial printer on a pseudo-terminal, and a kiosk screen's socket.

Everything here is closed by its owner: processes are stopped (their whole process group
when killed), file descriptors closed, threads joined, sockets disconnected.
"""

from __future__ import annotations

import os
import re
import select
import subprocess
import sys
import threading
import tty
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import socketio

from harness.demo import STARTUP
from harness.processes import REPO, wait_until
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


class ChildProcess:
    """One of our programs beside the server (the print agent, the counter bridge), in a
    process group of its own, its log (stderr) appended to ``log``."""

    log: Path
    process: subprocess.Popen | None
    #: what the program logs each time it has connected to the server
    CONNECTED = "INFO connected to "

    def spawn(self, command: list[str]) -> None:
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=log, start_new_session=True
            )

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> int | None:
        """SIGTERM and wait: the program finishes what it is at, leaves, and exits 0."""
        if self.process is None:
            return None
        self.process.terminate()
        try:
            code = self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait(timeout=15)
        self.process = None
        return code

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def count(self, text: str) -> int:
        """How many times ``text`` has been logged so far."""
        return len(re.findall(re.escape(text), self.output()))

    def wait_for(self, text: str, times: int = 1, timeout: float = 15) -> None:
        """Until ``text`` has been logged ``times`` times in all."""
        wait_until(lambda: self.count(text) >= times, f"{text!r} logged ×{times}", timeout)

    def connections(self) -> int:
        """How many times the program has connected to the server so far."""
        return self.count(self.CONNECTED)

    def wait_connected(self, times: int = 1, timeout: float = STARTUP) -> None:
        self.wait_for(self.CONNECTED, times, timeout)


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
