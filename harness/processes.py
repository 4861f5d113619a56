"""Real processes: gunicorn apps sharing a database and Redis as deployed, our other programs
beside the server (print agent, counter bridge), and the waiting and polling around them."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
STARTUP = 60  # seconds a process may take to come up (imports are slow on a busy machine)


def free_port() -> int:
    """A TCP port on the loopback that nothing listens on just now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(
    check: Callable[[], Any], what: str, timeout: float = 15, interval: float = 0.05
) -> Any:
    """Poll ``check`` until it returns something truthy; fail saying what never happened."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def call(method: str, url: str, token: str, body: dict | None = None) -> tuple[int, Any]:
    """One JSON request; a 4xx answer is returned, not raised."""
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode() if body is not None else None,
        method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        with error:
            status, raw = error.code, error.read()
    return status, json.loads(raw) if raw else None


@dataclass
class Cluster:
    """Several app processes on one database and one Redis channel."""

    database_url: str
    instance: Path
    redis_url: str
    channel: str = field(default_factory=lambda: f"nobat-test-{uuid.uuid4().hex[:8]}")
    #: greenlets as deployed (the default), or a thread per connection
    async_mode: str = "gevent"
    #: a folder for each server's output (discarded when None)
    logs: Path | None = None
    #: further environment of every server, e.g. ``{"NOBAT_RATE_LIMITS": "off"}``
    extra_env: dict[str, str] = field(default_factory=dict)
    ports: list[int] = field(default_factory=list)
    processes: dict[int, subprocess.Popen] = field(default_factory=dict)

    @property
    def urls(self) -> list[str]:
        return [f"http://127.0.0.1:{port}" for port in self.ports]

    def env(self, port: int) -> dict[str, str]:
        return {
            **os.environ,
            "NOBAT_DATABASE_URL": self.database_url,
            "NOBAT_INSTANCE": str(self.instance),
            "NOBAT_REDIS_URL": self.redis_url,
            "NOBAT_SOCKETIO_CHANNEL": self.channel,
            "NOBAT_SECRET_KEY": "cluster-test-" + "k" * 32,
            "NOBAT_PUBLIC_URL": "https://nobat.example.ir",
            "NOBAT_ENV": "production",
            "NOBAT_BIND": f"127.0.0.1:{port}",
            "NOBAT_ASYNC_MODE": self.async_mode,
            "NOBAT_THREADS": "128",
            "NOBAT_LOG_LEVEL": "warning",
            **self.extra_env,
        }

    def start(self, count: int) -> None:
        for _ in range(count):
            port = free_port()
            self.ports.append(port)
            self.launch(port)
        for port in self.ports:
            wait_healthy(port)

    def launch(self, port: int) -> None:
        output = (
            open(self.logs / f"server-{port}.log", "ab")  # noqa: SIM115  (the child keeps it)
            if self.logs is not None
            else subprocess.DEVNULL
        )
        self.processes[port] = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "server.wsgi:app"],
            cwd=REPO,
            env=self.env(port),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        if output is not subprocess.DEVNULL:
            output.close()

    def kill(self, port: int) -> None:
        """SIGKILL the whole gunicorn process group of one server: no chance to clean up."""
        process = self.processes.pop(port)
        for pid in [*children(process.pid), process.pid]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        process.wait(timeout=10)

    def restart(self, port: int) -> None:
        self.launch(port)
        wait_healthy(port)

    def stop(self) -> None:
        for port in list(self.processes):
            self.kill(port)


def children(pid: int) -> list[int]:
    """The process ids of ``pid``'s children, from /proc (none when it has gone)."""
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(child) for child in text.split()]


def wait_healthy(port: int, timeout: float = 90) -> None:
    """Until the server on ``port`` answers its health check."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"the server on port {port} did not come up")


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
