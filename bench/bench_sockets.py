"""Socket.IO fan-out at scale: 2,000 wall displays on two gunicorn processes sharing Redis.

The scaled deployment as the multi-process tests start it (``tests/live/cluster.py``):
two real gunicorn processes (gevent-websocket's worker and Socket.IO in gevent mode,
as docker-compose.yml and ``make demo`` run them; BENCH_SOCKETS_ASYNC_MODE=threading
measures a thread per socket instead) on a throwaway PostgreSQL database, Redis as the Socket.IO
message queue on a channel of their own. One office with four counters (two clerks
on each process) and a queue filled beforehand; 2,000 display sockets of that office,
1,000 on each process, held by a few asyncio client processes
(``bench/sockets_client.py``).

Measured:

1. Call latency: clerks call *next* at a steady rate, alternating between the
   processes; for every (socket, call) pair, the time from the HTTP response of
   ``POST /api/v1/counters/{id}/next`` to the receipt of the matching ``called``
   event at the socket (``time.time_ns()`` on both sides: one host, one clock);
   p50/p99/max, and receipts that never came.
2. Memory per idle socket: VmRSS of each server (gunicorn master and worker)
   before and after its 1,000 sockets connect, divided by 1,000.
3. Connect storm: every socket disconnects, then all 2,000 reconnect at the same
   instant; time until all have their snapshot, and each socket's connect time.

The call latency is measured twice: at 0.5 calls/s (one call at a time: what a call
costs with nothing else going on) and at the target load of 5 calls/s.

Target (this machine): call latency p99 < 100 ms with 2,000 sockets at 5 calls/s,
and no receipt missing. A missed target is reported, not raised; a phase that
fails is recorded and the next one runs; every phase is bounded so that the whole
script stays within BENCH_SOCKETS_BUDGET seconds (225) plus clean-up, and whatever
was measured is written, also on SIGTERM. Writes ``bench/results/sockets.json``.

The servers run gunicorn.conf.py unchanged except for NOBAT_THREADS (1200, threading
only) and ``--worker-connections`` (given through GUNICORN_CMD_ARGS): gunicorn's default
of 1000 connections per worker would stop a worker that holds 1,000 websockets from
accepting any other connection.

Knobs (environment): BENCH_SOCKETS_PER_SERVER (1000), BENCH_SOCKETS_CLIENTS (4),
BENCH_SOCKETS_RATE (calls/s, 5), BENCH_SOCKETS_SECONDS (20), BENCH_SOCKETS_ASYNC_MODE
(gevent), BENCH_SOCKETS_THREADS (1200), BENCH_QUIET_WAIT (5 s of waiting for a quiet
machine, at most),
BENCH_SOCKETS_PYSPY (path of a py-spy binary: sample the GIL holder of one worker
during the 5 calls/s phase and add the hottest frames to the results).
"""

from __future__ import annotations

import array
import contextlib
import http.client
import json
import multiprocessing as mp
import os
import socket
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter as Tally
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchlib  # puts the repository root on sys.path
import sockets_client

from tests.live.cluster import Cluster

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
    """``tests.live.cluster.Cluster`` with enough threads and connections for 1,000+ sockets."""

    threads: int = 1200

    def env(self, port: int) -> dict[str, str]:
        env = super().env(port)
        env["NOBAT_THREADS"] = str(self.threads)
        # gunicorn's gthread worker stops accepting at worker_connections (default 1000):
        # with 1,000 websockets held, no clerk request would get in. The setting is not in
        # gunicorn.conf.py; GUNICORN_CMD_ARGS overrides the file.
        env["GUNICORN_CMD_ARGS"] = f"--worker-connections {self.threads + 800}"
        return env


def children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(child) for child in text.split()]


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
    from server import auth
    from server.database import Base, make_engine
    from server.engine.clock import business_date, utcnow
    from server.engine.sessions import make_sessionmaker
    from server.models import Role, TokenKind
    from tests import builders

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
    benchlib.fill_queue(engine, result.id, result.service_ids, calls + 200, today)
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


def latency_phase(
    clients: Clients,
    clerks: list[Clerk],
    masters: list[int],
    redis_pid: int | None,
    rate: float,
    seconds: float,
    profile_to: Path | None = None,
) -> dict[str, Any]:
    warm = run_calls(clerks, rate, min(WARMUP_CALLS / rate, 4.0))
    time.sleep(1.0)
    recorded = clients.ask(("record",), 10)
    open_sockets = sum(a["sockets"] for a in recorded)
    workers = worker_pids(clients.urls, masters)
    cpu0 = {pid: benchlib.process_cpu_seconds(pid) for pid in workers.values()}
    split0 = {pid: cpu_split(pid) for pid in workers.values()}
    redis0 = benchlib.process_cpu_seconds(redis_pid) if redis_pid else None
    meter = benchlib.CpuMeter()
    meter.start()
    profile = GilProfile(next(iter(workers.values())), seconds, profile_to) if profile_to else None
    t0 = time.monotonic()
    run = run_calls(clerks, rate, seconds)
    calls = run["calls"]
    duration = time.monotonic() - t0
    # The last receipts: a fan-out that is behind gets a few seconds more (bounded).
    time.sleep(DRAIN_SECONDS)
    busy = meter.stop()
    window = time.monotonic() - t0
    workers_after = worker_pids(clients.urls, masters)
    server_cpu: dict[int, float | None] = {}
    server_sys: dict[int, float | None] = {}
    for port, pid in workers.items():
        now = benchlib.process_cpu_seconds(pid) if workers_after.get(port) == pid else None
        server_cpu[port] = None if now is None else round(now - (cpu0[pid] or 0), 2)
        split, first = cpu_split(pid), split0[pid]
        server_sys[port] = (
            round(split[1] - first[1], 2) if split and first and now is not None else None
        )
    redis_cpu = (
        round((benchlib.process_cpu_seconds(redis_pid) or 0) - (redis0 or 0), 2)
        if redis_pid
        else None
    )
    answers = clients.ask(("collect",), 30)

    ok = [c for c in calls if c["status"] == 200 and c.get("ticket")]
    by_ticket = {c["ticket"]: c for c in ok}
    server_ports = [int(u.rsplit(":", 1)[1]) for u in clients.urls]
    seen: set[tuple[int, int, int]] = set()
    duplicates = unexpected = negative = 0
    lat_all: list[float] = []
    lat_from_send: list[float] = []
    lat_same: list[float] = []
    lat_other: list[float] = []
    types: Tally[str] = Tally()
    # per (ticket, server port): first and last receipt among that server's sockets
    spread: dict[tuple[int, int], list[int]] = {}
    for proc_index, a in enumerate(answers):
        tickets, sockets, stamps = array.array("q"), array.array("l"), array.array("q")
        tickets.frombytes(a["ticket"])
        sockets.frombytes(a["socket"])
        stamps.frombytes(a["ns"])
        types.update(a["types"])
        for ticket, sock, ns in zip(tickets, sockets, stamps, strict=True):
            call = by_ticket.get(ticket)
            if call is None:
                unexpected += 1
                continue
            key = (proc_index, sock, ticket)
            if key in seen:
                duplicates += 1
                continue
            seen.add(key)
            latency = (ns - call["answered_ns"]) / 1e9
            lat_all.append(latency)
            lat_from_send.append((ns - call["sent_ns"]) / 1e9)
            negative += latency < 0
            port = server_ports[clients.server_of(proc_index, sock)]
            (lat_same if port == call["port"] else lat_other).append(latency)
            span = spread.setdefault((ticket, port), [ns, ns])
            span[0] = min(span[0], ns)
            span[1] = max(span[1], ns)
    expected = len(ok) * open_sockets
    http_seconds = [(c["answered_ns"] - c["sent_ns"]) / 1e9 for c in ok]
    last = {}
    for (ticket, _port), (_first, end) in spread.items():
        last[ticket] = max(last.get(ticket, 0), end)
    to_last = [(ns - by_ticket[t]["answered_ns"]) / 1e9 for t, ns in last.items()]
    fanout = [(end - first) / 1e9 for first, end in spread.values()]
    # Socket messages each server wrote in the window: every event to each of its sockets.
    events = sum(types.values()) / max(open_sockets, 1)
    per_server_sockets = open_sockets / len(server_ports)
    cost = {
        port: round(1e6 * cpu / (events * per_server_sockets), 1)
        if events and per_server_sockets and cpu is not None
        else None
        for port, cpu in server_cpu.items()
    }
    client_cpu = round(sum(a["cpu_seconds"] for a in answers), 2)
    return {
        "warmup_calls": len(warm["calls"]),
        "workers_replaced": [p for p in workers if workers_after.get(p) != workers[p]],
        "call_errors": dict(Tally(c["error"] for c in calls if c.get("error"))),
        "calls_asked": len(calls) + run["skipped"],
        "calls_made": len(calls),
        "calls_ok": len(ok),
        "calls_skipped_behind_schedule": run["skipped"],
        "call_statuses": dict(Tally(str(c["status"]) for c in calls)),
        "rate_asked": rate,
        "rate_done": round(len(ok) / duration, 2) if duration else None,
        "seconds": round(duration, 2),
        "sockets_open": open_sockets,
        "expected_receipts": expected,
        "received": len(seen),
        "missing": expected - len(seen),
        "duplicates": duplicates,
        "unexpected": unexpected,
        # A socket that sees seq N+2 before N+1 (the two processes' events interleave; the
        # display waits briefly for the late one): counted once per jump, and once per late one.
        "sequence_jumps": sum(a["jumps"] for a in answers),
        "late_events": sum(a["late"] for a in answers),
        "closed_early": sum(a["closed_early"] for a in answers),
        "events_by_type": dict(types),
        "events_per_call": round(events / len(ok), 2) if ok else None,
        "latency_from_response": benchlib.latency_summary(lat_all),
        "latency_from_request": benchlib.latency_summary(lat_from_send),
        "latency_same_process": benchlib.latency_summary(lat_same),
        "latency_other_process": benchlib.latency_summary(lat_other),
        "receipts_before_response": negative,
        "http_next": benchlib.latency_summary(http_seconds),
        "last_receipt_per_call": benchlib.latency_summary(to_last),
        "fanout_spread_per_call_and_process": benchlib.latency_summary(fanout),
        "cpu": {
            "window_seconds": round(window, 2),
            "server_worker_seconds": server_cpu,
            "server_worker_system_seconds": server_sys,
            "server_us_per_socket_message": cost,
            "redis_seconds": redis_cpu,
            "clients_seconds": client_cpu,
            "machine_busy_cores": busy,
        },
        "gil_profile_worker": profile.summary() if profile else None,
    }


def storm_phase(clients: Clients, masters: list[int], idle_threads: int) -> dict[str, Any]:
    answers = clients.ask(("disconnect", 10), 30)
    closed = sum(a["closed"] for a in answers)
    # Let the servers notice every close (their threads exit) before the storm.
    waited = wait_threads_below(masters, idle_threads + 40, RELEASE_TIMEOUT)
    threads_after_disconnect = [server_memory(m)["threads"] for m in masters]
    meter = benchlib.CpuMeter()
    meter.start()
    start_ns = time.time_ns() + 1_000_000_000
    timeout = max(10.0, min(STORM_TIMEOUT, left() - 15))
    answers = clients.ask(("connect", start_ns, 0, timeout), timeout + 10)
    busy = meter.stop()
    result = connect_summary(answers, start_ns)
    result.update(
        {
            "timeout_seconds": round(timeout, 1),
            "closed_before": closed,
            "seconds_until_servers_released_sockets": waited,
            "threads_after_disconnect": threads_after_disconnect,
            "machine_busy_cores": busy,
        }
    )
    return result


def log_problems(logs: Path) -> dict[str, Any]:
    """What went wrong in the servers: tracebacks by their final line, gunicorn's errors."""
    import re

    text = ""
    for path in logs.glob("server-*.log"):
        text += path.read_text(errors="replace")
    lines = text.splitlines()
    final = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Timeout|Exit)\b.*")
    exceptions: Tally[str] = Tally()
    for i, line in enumerate(lines):
        if line.startswith("Traceback"):
            for later in lines[i + 1 : i + 200]:
                if final.match(later):
                    exceptions[later[:160]] += 1
                    break
    errors = [line for line in lines if "[ERROR]" in line or line.startswith("ERROR:")]
    return {
        "tracebacks": text.count("Traceback"),
        "exceptions": dict(exceptions.most_common(8)),
        "error_lines": len(errors),
        "first_errors": Tally(
            line[-120:] if "[ERROR]" in line else line for line in errors
        ).most_common(6),
        "worker_timeouts": text.count("WORKER TIMEOUT"),
    }


def phase(data: dict[str, Any], name: str, body: Any) -> Any:
    """Run one phase; a failure is recorded (and the later phases still run)."""
    say(name)
    started = time.monotonic()
    try:
        result = body()
    except Exception as error:
        data.setdefault("phase_errors", {})[name] = f"{type(error).__name__}: {error}"
        say(f"{name} failed: {type(error).__name__}: {error}")
        return None
    finally:
        data.setdefault("phase_seconds", {})[name] = round(time.monotonic() - started, 1)
    return result


def run(work: Path, data: dict[str, Any]) -> None:
    data.update(
        {
            "sockets_per_server": PER_SERVER,
            "servers": SERVERS,
            "client_processes": CLIENT_PROCESSES,
            "async_mode": ASYNC_MODE,
            "server_threads": THREADS if ASYNC_MODE == "threading" else None,
        }
    )
    with benchlib.postgres_database("nobat_bench_sockets") as url:
        t0 = time.monotonic()
        office = make_office(url)
        data["setup_seconds"] = round(time.monotonic() - t0, 1)
        logs = work / "logs"
        logs.mkdir()
        (work / "instance").mkdir()
        cluster = SocketCluster(
            url,
            work / "instance",
            os.environ.get("NOBAT_REDIS_URL", "redis://127.0.0.1:6379/0"),
            channel=f"nobat-bench-sockets-{uuid.uuid4().hex[:8]}",
            threads=THREADS,
            logs=logs,
            async_mode=ASYNC_MODE,
        )
        clients: Clients | None = None
        clerks: list[Clerk] = []
        try:
            say("starting 2 servers")
            try:
                cluster.start(SERVERS)
            except TimeoutError as error:
                data.setdefault("phase_errors", {})["starting servers"] = str(error)
                say(f"not measured: {error}")
                return
            masters = [cluster.processes[p].pid for p in cluster.ports]
            first_workers = worker_pids(cluster.urls, masters)
            data["channel"] = cluster.channel
            redis_pid = find_redis_pid()
            clerks = [
                Clerk(cluster.ports[k % SERVERS], office.counters[k], office.clerks[k])
                for k in range(COUNTERS)
            ]
            clients = Clients(cluster.urls, office.display, SERVERS * PER_SERVER, CLIENT_PROCESSES)
            # Warm up: imports, connection pools, the first snapshot, one call per counter.
            warm = Clients(cluster.urls, office.display, 2 * SERVERS, 1)
            try:
                warm.ask(("connect", 0, 0, 20), 40)
                run_calls(clerks, 4 * COUNTERS, 1.0)
                warm.ask(("disconnect", 5), 15)
            finally:
                warm.stop()
            wait_threads_below(masters, 60, 15)
            time.sleep(1.0)
            before = [server_memory(m) for m in masters]
            idle_threads = max(b["threads"] for b in before)

            def connect() -> dict[str, Any]:
                t1 = time.monotonic()
                timeout = max(20.0, min(CONNECT_TIMEOUT, left() - 120))
                answers = clients.ask(("connect", 0, CONNECT_LIMIT, timeout), timeout + 10)
                result = connect_summary(answers, None)
                result["wall_seconds"] = round(time.monotonic() - t1, 2)
                result["timeout_seconds"] = round(timeout, 1)
                # Settle, and see what the held sockets cost at rest (pings only).
                time.sleep(1.0)
                workers = worker_pids(cluster.urls, masters)
                cpu0 = {p: benchlib.process_cpu_seconds(w) for p, w in workers.items()}
                time.sleep(IDLE_SECONDS)
                result["idle_worker_cores"] = {
                    p: round(
                        ((benchlib.process_cpu_seconds(w) or 0) - (cpu0[p] or 0)) / IDLE_SECONDS, 3
                    )
                    for p, w in workers.items()
                }
                return result

            data["initial_connect"] = phase(
                data, f"connecting {SERVERS * PER_SERVER} sockets", connect
            )
            after = [server_memory(m) for m in masters]
            data["memory"] = [
                {
                    "port": port,
                    "rss_before_mib": round(b["rss_kib"] / 1024, 1),
                    "rss_after_mib": round(a["rss_kib"] / 1024, 1),
                    "kib_per_socket": round((a["rss_kib"] - b["rss_kib"]) / PER_SERVER, 1),
                    "threads_before": b["threads"],
                    "threads_after": a["threads"],
                    "threads_per_socket": round((a["threads"] - b["threads"]) / PER_SERVER, 2),
                }
                for port, b, a in zip(cluster.ports, before, after, strict=True)
            ]
            data["latency_light"] = phase(
                data,
                f"latency, light: {LIGHT_RATE:g} calls/s for {LIGHT_SECONDS:g} s",
                lambda: latency_phase(
                    clients, clerks, masters, redis_pid, LIGHT_RATE, LIGHT_SECONDS
                ),
            )
            data["latency"] = phase(
                data,
                f"latency: {RATE:g} calls/s for {SECONDS:g} s",
                lambda: latency_phase(
                    clients, clerks, masters, redis_pid, RATE, SECONDS, work / "gil.txt"
                ),
            )
            now_workers = worker_pids(cluster.urls, masters)
            # Up to the end of the calls: a worker gunicorn killed (heartbeat timeout) and
            # replaced took its sockets with it.
            data["workers_replaced"] = [
                p for p in first_workers if now_workers[p] != first_workers[p]
            ]
            data["memory_after_calls_mib"] = [
                round(server_memory(m)["rss_kib"] / 1024, 1) for m in masters
            ]
            data["storm"] = phase(
                data, "connect storm", lambda: storm_phase(clients, masters, idle_threads)
            )
            data["memory_after_storm_mib"] = [
                round(server_memory(m)["rss_kib"] / 1024, 1) for m in masters
            ]
            now_workers = worker_pids(cluster.urls, masters)
            data["workers_replaced_by_end"] = [
                p for p in first_workers if now_workers[p] != first_workers[p]
            ]
        finally:
            say("stopping")
            for clerk in clerks:
                clerk.close()
            if clients is not None:
                clients.stop()
            cluster.stop()
            data["server_log"] = log_problems(logs)


def report(data: dict[str, Any], started: float) -> dict[str, Any]:
    lat = data.get("latency") or {}
    fr = lat.get("latency_from_response") or {}
    storm = data.get("storm") or {}
    initial = data.get("initial_connect") or {}
    mem = data.get("memory") or []
    p99 = fr.get("p99_ms")
    sockets = SERVERS * PER_SERVER
    # The figures count only if the load was what the target is about: every socket held
    # throughout, the servers' workers never replaced, (nearly) every call made.
    replaced = data.get("workers_replaced") or []
    broken = [
        f"{sockets - (lat.get('sockets_open') or 0)} sockets not held"
        if (lat.get("sockets_open") or 0) < sockets
        else "",
        f"{lat.get('closed_early')} sockets closed by the server"
        if lat.get("closed_early")
        else "",
        f"workers killed and replaced on {replaced}" if replaced else "",
        f"{lat.get('calls_ok')} of {lat.get('calls_asked')} calls answered"
        if lat and (lat.get("calls_ok") or 0) < 0.9 * (lat.get("calls_asked") or 0)
        else "",
    ]
    problems = "; ".join(b for b in broken if b)
    intact = bool(lat) and not problems
    light = data.get("latency_light") or {}
    rows = []
    for label, key in (
        ("from HTTP response, all", "latency_from_response"),
        ("  socket on the process that made the call", "latency_same_process"),
        ("  socket on the other process (via Redis)", "latency_other_process"),
        ("from HTTP request sent, all", "latency_from_request"),
        ("last socket of each call, from response", "last_receipt_per_call"),
        ("first→last receipt per call and process", "fanout_spread_per_call_and_process"),
        ("HTTP call next itself", "http_next"),
    ):
        for name, phase_data in ((f"{LIGHT_RATE:g}/s", light), (f"{RATE:g}/s", lat)):
            s = phase_data.get(key) or {}
            rows.append(
                [label, name, s.get("n"), s.get("p50_ms"), s.get("p99_ms"), s.get("max_ms")]
            )

    def phase_notes(name: str, d: dict[str, Any], rate: float) -> list[str]:
        if not d:
            return [f"{name}: not measured {data.get('phase_errors') or ''}"]
        cpu = d.get("cpu") or {}
        return [
            f"{name}: {d.get('calls_ok')} calls answered 200 of {d.get('calls_made')} made "
            f"({d.get('calls_skipped_behind_schedule')} slots skipped behind schedule; errors "
            f"{d.get('call_errors')}) = {d.get('rate_done')}/s of {rate:g}/s asked, over "
            f"{d.get('seconds')} s; {d.get('sockets_open')} sockets in the office room; "
            f"receipts expected {d.get('expected_receipts')}, missing {d.get('missing')}, "
            f"duplicated {d.get('duplicates')}, out of order {d.get('sequence_jumps')}, "
            f"sockets closed by the server {d.get('closed_early')}, workers replaced "
            f"{d.get('workers_replaced')}; events {d.get('events_by_type')}; "
            f"{d.get('receipts_before_response')} receipts came before the call's response.",
            f"{name}: CPU over the {cpu.get('window_seconds')} s window: server workers "
            f"{cpu.get('server_worker_seconds')} s (of which system "
            f"{cpu.get('server_worker_system_seconds')} s; "
            f"{cpu.get('server_us_per_socket_message')} "
            f"µs of worker CPU per message written to a socket), Redis "
            f"{cpu.get('redis_seconds')} s, clients {cpu.get('clients_seconds')} s; machine "
            f"busy {cpu.get('machine_busy_cores')} cores.",
        ]

    def connect_row(label: str, c: dict[str, Any]) -> list[Any]:
        per = c.get("per_socket_to_snapshot") or {}
        return [
            label, c.get("connected"), c.get("failed"), c.get("retried_sockets"),
            c.get("all_snapshots_seconds"), per.get("p50_ms"), per.get("p99_ms"),
            per.get("max_ms"),
        ]  # fmt: skip

    return {
        "bench": "sockets",
        "title": f"Socket.IO fan-out: {sockets:,} displays on {SERVERS} gunicorn processes + Redis",
        "date": benchlib.now_iso(),
        "machine": benchlib.machine(),
        "tables": [
            {
                "title": "Call to display latency",
                "columns": ["what", "calls/s", "n", "p50 ms", "p99 ms", "max ms"],
                "rows": rows,
                "notes": [
                    "Latency = receipt of the `called` event at a socket minus the HTTP "
                    "response of the call (time.time_ns() on one host); n = (socket, call) "
                    "pairs. The process that makes a call queues the event to its own sockets "
                    "before it answers, so some receipts come before the response (negative).",
                    *phase_notes(f"{LIGHT_RATE:g}/s (one call at a time)", light, LIGHT_RATE),
                    *phase_notes(f"{RATE:g}/s (the target load)", lat, RATE),
                    f"Servers: gunicorn.conf.py, one worker each, NOBAT_ASYNC_MODE="
                    f"{data.get('async_mode')}"
                    + (f", NOBAT_THREADS={THREADS}" if data.get("server_threads") else "")
                    + f", --worker-connections {THREADS + 800} (GUNICORN_CMD_ARGS): "
                    "at gunicorn's default of 1000, a worker that holds 1000 websockets "
                    "accepts no further connection at all (no clerk request, no health check).",
                    f"Server log: {data.get('server_log')}.",
                ],
            },
            {
                "title": "Memory per idle socket",
                "columns": [
                    "port",
                    "RSS before MiB",
                    "RSS after MiB",
                    "KiB/socket",
                    "threads before",
                    "threads after",
                    "threads/socket",
                ],
                "rows": [
                    [
                        m["port"],
                        m["rss_before_mib"],
                        m["rss_after_mib"],
                        m["kib_per_socket"],
                        m["threads_before"],
                        m["threads_after"],
                        m["threads_per_socket"],
                    ]
                    for m in mem
                ],
                "notes": [
                    f"VmRSS of the gunicorn master and its worker, before and after "
                    f"{PER_SERVER} sockets connected to it (after warm-up). Worker CPU with "
                    f"the sockets held and nothing happening (pings only): "
                    f"{initial.get('idle_worker_cores')} cores.",
                ],
            },
            {
                "title": "Connect",
                "columns": [
                    "phase",
                    "connected",
                    "failed",
                    "retried",
                    "all snapshots s",
                    "per socket p50 ms",
                    "p99 ms",
                    "max ms",
                ],
                "rows": [
                    connect_row(f"initial ({CONNECT_LIMIT} at a time per client)", initial),
                    connect_row("storm (all at once)", storm),
                ],
                "notes": [
                    "Per socket: from its websocket connect to its snapshot (including "
                    "retries). Storm: every socket disconnects, the servers release them, then "
                    "all reconnect at the same instant; 'all snapshots' is from that instant "
                    f"to the last one. Errors (of failed attempts, retried or not; an attempt "
                    f"stalled for {sockets_client.ATTEMPT_SECONDS:g} s is retried): initial "
                    f"{initial.get('errors')}, storm {storm.get('errors')}.",
                ],
            },
        ],
        "targets": [
            {
                "name": f"sockets: call → display p99, {RATE:g} calls/s, {sockets:,} sockets",
                "target": f"< {TARGET_P99_MS:g} ms, all {sockets:,} sockets held",
                "value": (
                    f"{p99} ms with {lat.get('sockets_open')} sockets held"
                    + (f" ({problems})" if problems else "")
                    if p99 is not None
                    else (problems or "not measured")
                ),
                "pass": intact and p99 is not None and p99 < TARGET_P99_MS,
            },
            {
                "name": f"sockets: missing receipts, {RATE:g} calls/s, {sockets:,} sockets",
                "target": "0",
                "value": f"{lat.get('missing')} of {lat.get('expected_receipts')}"
                + (f" ({problems})" if problems else ""),
                "pass": intact and lat.get("missing") == 0,
            },
        ],
        "data": {**data, "wall_seconds": round(time.monotonic() - started, 1)},
    }


def main() -> int:
    benchlib.terminate_on_sigterm()
    started = time.monotonic()
    if benchlib.postgres_version() is None:
        print("sockets bench: PostgreSQL not reachable; skipped")
        return 0
    quiet = benchlib.wait_for_quiet(float(os.environ.get("BENCH_QUIET_WAIT", "5")))
    data: dict[str, Any] = {"machine_busy_at_start": quiet}
    print(f"sockets bench (machine busy {quiet['busy_cores']} cores at start)", flush=True)
    try:
        with tempfile.TemporaryDirectory(prefix="nobat-bench-sockets-") as tmp:
            run(Path(tmp), data)
    finally:
        # Whatever was measured is written, also when a phase failed or SIGTERM came.
        payload = report(data, started)
        path = benchlib.write_result("sockets", payload)
        print(f"wrote {path}")
    benchlib.print_report(payload, digits=1)
    if data.get("phase_errors"):
        print(f"phase errors: {data['phase_errors']}")
    profile = (data.get("latency") or {}).get("gil_profile_worker")
    if profile:
        print(f"GIL holder of one worker, {profile['samples']} samples (py-spy --gil):")
        for frame, share in list(profile["leaf_percent"].items())[:10]:
            print(f"  {share:5.1f} %  {frame}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
