"""The sockets bench's rig: the knobs and time budget, the two gunicorn servers and what
``/proc`` says of them, the office and its clerks calling *next*, and the client processes
holding the display sockets (``sockets_client.py``)."""

from __future__ import annotations

import array
import contextlib
import http.client
import json
import multiprocessing as mp
import os
import socket
import threading
import time
import uuid
from collections import Counter as Tally
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import benchlib
import sockets_client

from harness.processes import Cluster, children

PER_SERVER = int(os.environ.get("BENCH_SOCKETS_PER_SERVER", "1000"))
CLIENT_PROCESSES = int(os.environ.get("BENCH_SOCKETS_CLIENTS", "4"))
RATE = float(os.environ.get("BENCH_SOCKETS_RATE", "5"))
SECONDS = float(os.environ.get("BENCH_SOCKETS_SECONDS", "20"))
SERVERS = 2
COUNTERS = 4
WARMUP_CALLS = 8
DRAIN_SECONDS = 3.0
CONNECT_LIMIT = 50  # sockets connecting at once per client process (initial connect only)
CONNECT_TIMEOUT = 60.0
STORM_TIMEOUT = 60.0
RELEASE_TIMEOUT = 15.0
IDLE_SECONDS = 4.0
LIGHT_RATE = 0.5  # one call at a time: the cost of a call with nothing else going on
LIGHT_SECONDS = 10.0
BUDGET = float(os.environ.get("BENCH_SOCKETS_BUDGET", "225"))  # seconds, whole script
THREADS = int(os.environ.get("BENCH_SOCKETS_THREADS", "1200"))
ASYNC_MODE = os.environ.get("BENCH_SOCKETS_ASYNC_MODE", "gevent")
SERVICES = ["insurance", "civil", "post"]
TARGET_P99_MS = 100.0
HOST = "127.0.0.1"
HTTP_TIMEOUT = 10.0


_T0 = time.monotonic()


def left() -> float:
    """Seconds left of the bench's time budget."""
    return BUDGET - (time.monotonic() - _T0)


def say(text: str) -> None:
    print(f"  [{time.monotonic() - _T0:6.1f} s] {text}", flush=True)


# --- the servers ------------------------------------------------------------------------------


@dataclass
class SocketCluster(Cluster):
    """``harness.processes.Cluster`` with enough threads and connections for 1,000+ sockets."""

    threads: int = 1200

    def env(self, port: int) -> dict[str, str]:
        env = super().env(port)
        env["NOBAT_THREADS"] = str(self.threads)
        # gunicorn's gthread worker stops accepting at worker_connections (default 1000):
        # with 1,000 websockets held, no clerk request would get in. The setting is not in
        # gunicorn.conf.py; GUNICORN_CMD_ARGS overrides the file.
        env["GUNICORN_CMD_ARGS"] = f"--worker-connections {self.threads + 800}"
        return env


def worker_pids(urls: list[str], masters: list[int]) -> dict[int, int]:
    """The current worker of each server, by port (gunicorn replaces a worker it kills)."""
    ports = [int(u.rsplit(":", 1)[1]) for u in urls]
    return {port: (children(m) or [m])[0] for port, m in zip(ports, masters, strict=True)}


def status_field(pid: int, name: str) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(name + ":"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return None


def server_memory(master: int) -> dict[str, Any]:
    """VmRSS (KiB) and threads of a gunicorn master and its children (the worker)."""
    pids = [master, *children(master)]
    rss = {pid: status_field(pid, "VmRSS") or 0 for pid in pids}
    return {
        "pids": pids,
        "rss_kib": sum(rss.values()),
        "rss_kib_by_pid": rss,
        "threads": sum(status_field(pid, "Threads") or 0 for pid in pids),
    }


def cpu_split(pid: int) -> tuple[float, float] | None:
    """User and system CPU seconds of a process (all its threads)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks = os.sysconf("SC_CLK_TCK")
        return int(fields[11]) / ticks, int(fields[12]) / ticks
    except (OSError, ValueError, IndexError):
        return None


def find_redis_pid() -> int | None:
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if (entry / "comm").read_text().strip() == "redis-server":
                    return int(entry.name)
    return None


# --- the office -------------------------------------------------------------------------------


@dataclass
class Office:
    code: str
    id: int
    counters: list[int]
    clerks: list[str]
    display: str
    service_ids: list[int]


def make_office(url: str) -> Office:
    from harness import builders, bulk
    from server import auth
    from server.database import Base, make_engine
    from server.engine.clock import business_date, utcnow
    from server.engine.sessions import make_sessionmaker
    from server.models import Role, TokenKind

    engine = make_engine(url)
    Base.metadata.create_all(engine)
    with make_sessionmaker(engine)() as session:
        code = f"b{uuid.uuid4().hex[:8]}"
        office = builders.office(session, code)
        counters, clerks = [], []
        for n in range(1, COUNTERS + 1):
            counters.append(builders.counter(session, office, n, dict.fromkeys(SERVICES, 1)).id)
            clerk = builders.user(session, f"{code}-clerk{n}", Role.CLERK, office)
            clerks.append(auth.create_token(session, user=clerk))
        display = auth.create_token(session, device=TokenKind.DISPLAY, office_id=office.id)
        session.commit()
        result = Office(code, office.id, counters, clerks, display, [s.id for s in office.services])
        today = business_date(office.timezone, utcnow())
    calls = int(RATE * SECONDS) + WARMUP_CALLS + 40
    bulk.fill_queue(engine, result.id, result.service_ids, calls + 200, today)
    benchlib.analyze(engine)
    engine.dispose()
    return result


# --- the clerks -------------------------------------------------------------------------------


class Clerk:
    """One clerk at one counter with a keep-alive connection (TCP_NODELAY) to one server."""

    def __init__(self, port: int, counter: int, token: str) -> None:
        self.port, self.counter, self.token = port, counter, token
        self.conn: http.client.HTTPConnection | None = None

    def call_next(self) -> dict[str, Any]:
        """One call; never retried (a call that timed out may still happen: not idempotent)."""
        sent = time.time_ns()
        result: dict[str, Any] = {"port": self.port, "counter": self.counter, "sent_ns": sent}
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection(HOST, self.port, timeout=HTTP_TIMEOUT)
                self.conn.connect()
                self.conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.conn.request(
                "POST",
                f"/api/v1/counters/{self.counter}/next",
                body=b"{}",
                headers={
                    "Authorization": f"Bearer {self.token}",
                    "Content-Type": "application/json",
                },
            )
            response = self.conn.getresponse()
            body = response.read()
            result["answered_ns"] = time.time_ns()
            result["status"] = response.status
            result["ticket"] = json.loads(body)["id"] if response.status == 200 else None
        except (OSError, http.client.HTTPException, ValueError, KeyError) as error:
            self.close()
            result.update(status=0, error=type(error).__name__)
        return result

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def run_calls(clerks: list[Clerk], rate: float, seconds: float) -> dict[str, Any]:
    """Each clerk calls on its own schedule; together ``rate`` calls/s for ``seconds``.

    Open loop but bounded: a clerk whose call came back late skips the slots it missed
    (counted), and no call starts after the window; every call has an HTTP timeout.
    """
    period = len(clerks) / rate
    start = time.monotonic() + 0.2
    end = start + seconds
    calls: list[dict[str, Any]] = []
    skipped = [0]
    lock = threading.Lock()

    def loop(k: int, clerk: Clerk) -> None:
        first = start + k * period / len(clerks)
        for m in range(int(seconds / period) + 2):
            at = first + m * period
            if at >= end:
                break
            now = time.monotonic()
            if now > at + period:  # behind: this slot is gone
                with lock:
                    skipped[0] += 1
                continue
            if at > now:
                time.sleep(at - now)
            result = clerk.call_next()
            with lock:
                calls.append(result)

    threads = [
        threading.Thread(target=loop, args=(k, c), daemon=True) for k, c in enumerate(clerks)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(0.0, end + HTTP_TIMEOUT + 2 - time.monotonic()))
    with lock:
        return {"calls": sorted(calls, key=lambda c: c["sent_ns"]), "skipped": skipped[0]}


# --- the client processes ---------------------------------------------------------------------


class Clients:
    def __init__(self, urls: list[str], token: str, total: int, processes: int) -> None:
        ctx = mp.get_context("spawn")
        self.pipes = []
        self.procs = []
        self.counts = [
            total // processes + (1 if i < total % processes else 0) for i in range(processes)
        ]
        self.urls = urls
        for index, count in enumerate(self.counts):
            ours, theirs = ctx.Pipe()
            proc = ctx.Process(
                target=sockets_client.main, args=(theirs, index, urls, token, count), daemon=True
            )
            proc.start()
            theirs.close()
            self.pipes.append(ours)
            self.procs.append(proc)

    def server_of(self, proc_index: int, socket_index: int) -> int:
        return (proc_index + socket_index) % len(self.urls)

    def ask(self, command: tuple, timeout: float) -> list[dict[str, Any]]:
        for pipe in self.pipes:
            pipe.send(command)
        answers = []
        deadline = time.monotonic() + timeout
        for pipe in self.pipes:
            if not pipe.poll(max(0.0, deadline - time.monotonic())):
                raise TimeoutError(f"a client process did not answer {command[0]}")
            answers.append(pipe.recv())
        return answers

    def stop(self) -> None:
        for pipe in self.pipes:
            with contextlib.suppress(OSError, BrokenPipeError):
                pipe.send(("stop",))
        for proc in self.procs:
            proc.join(timeout=5)
            if proc.is_alive():
                proc.kill()
                proc.join(timeout=5)


def connect_summary(answers: list[dict[str, Any]], start_ns: int | None) -> dict[str, Any]:
    started, snap, opened = array.array("q"), array.array("q"), array.array("q")
    attempts = array.array("l")
    errors: Tally[str] = Tally()
    for a in answers:
        started.frombytes(a["started"])
        snap.frombytes(a["snapshot"])
        opened.frombytes(a["opened"])
        attempts.frombytes(a["attempts"])
        errors.update(a["errors"])
    origin = start_ns if start_ns else min(started, default=0)
    per_socket = [(s - b) / 1e9 for s, b in zip(snap, started, strict=True)]
    handshake = [(o - b) / 1e9 for o, b in zip(opened, started, strict=True)]
    return {
        "asked": sum(a["asked"] for a in answers),
        "connected": sum(a["connected"] for a in answers),
        "failed": sum(a["failed"] for a in answers),
        "errors": dict(errors),
        "retried_sockets": sum(1 for n in attempts if n > 1),
        "attempts": sum(attempts),
        "all_snapshots_seconds": round((max(snap) - origin) / 1e9, 3) if snap else None,
        "per_socket_to_snapshot": benchlib.latency_summary(per_socket),
        "per_socket_websocket_open": benchlib.latency_summary(handshake),
        "client_cpu_seconds": round(sum(a["cpu_seconds"] for a in answers), 2),
    }


# --- phases -----------------------------------------------------------------------------------


def wait_threads_below(masters: list[int], limit: int, timeout: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if all(server_memory(m)["threads"] <= limit for m in masters):
            break
        time.sleep(0.25)
    return round(time.monotonic() - started, 2)


class GilProfile:
    """Optional: py-spy (``BENCH_SOCKETS_PYSPY`` = its path) samples one worker's GIL holder."""

    def __init__(self, pid: int, seconds: float, out: Path) -> None:
        import subprocess

        self.out = out
        self.proc: subprocess.Popen | None = None
        tool = os.environ.get("BENCH_SOCKETS_PYSPY")
        if tool and Path(tool).exists():
            self.proc = subprocess.Popen(
                [tool, "record", "-p", str(pid), "-d", str(int(seconds)), "-r", "25", "--gil",
                 "--nonblocking", "-f", "raw", "-o", str(out)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )  # fmt: skip

    def summary(self, top: int = 25) -> dict[str, Any] | None:
        if self.proc is None:
            return None
        try:
            self.proc.wait(timeout=60)
        except Exception:
            self.proc.kill()
            self.proc.wait(timeout=5)
        if not self.out.exists():
            return None
        leaf: Tally[str] = Tally()
        inclusive: Tally[str] = Tally()
        total = 0
        for line in self.out.read_text().splitlines():
            stack, _, n = line.rpartition(" ")
            if not n.isdigit():
                continue
            frames = [f for f in stack.split(";") if f]
            total += int(n)
            if frames:
                leaf[frames[-1]] += int(n)
            for frame in set(frames):
                inclusive[frame] += int(n)
        share = lambda n: round(100 * n / total, 1) if total else None  # noqa: E731
        return {
            "samples": total,
            "leaf_percent": {f: share(n) for f, n in leaf.most_common(top)},
            "inclusive_percent": {f: share(n) for f, n in inclusive.most_common(top * 2)},
        }
