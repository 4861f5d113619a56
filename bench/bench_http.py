"""HTTP through the served app, on the README's production path (``nobat serve``).

For each database (a temporary SQLite file; PostgreSQL in a throwaway database
when reachable) the bench prepares the instance with the CLI (``nobat db
upgrade``, ``nobat seed-demo``, ``nobat token create``), adds counters 5–8 with
clerks clerk5..clerk8 directly in the database (mirroring counters 1–4, so that
eight clerks each drive their own counter), starts ``nobat serve`` on a free
loopback port and measures, with 1 and with 8 concurrent clients:

- ``GET /api/v1/health`` (no database: the ceiling of the stack),
- ``POST /api/v1/offices/amol/tickets`` with a kiosk token, services in turn: the
  default kiosk (its tickets print on the embedded preview printer, rendered in the
  server's render process) and, with 8 clients only, a kiosk of ``--printer none``,
- ``POST /api/v1/counters/{id}/next``, each client a clerk at their own counter,
  on a queue topped up before each part of the phase so that clerks do not run
  dry (204s are counted) while the queue stays about as deep as a busy office's.

The load generator is as cheap as it can be on two cores: one process per
client, each with one keep-alive TCP connection (TCP_NODELAY) sending prebuilt
requests and parsing only the status line and Content-Length. Each phase warms
up first; only requests started inside the measuring window count.

The server runs as ``make demo`` runs it, with greenlets; ``BENCH_HTTP_ASYNC_MODE=threading``
measures it with a thread per request instead (``NOBAT_ASYNC_MODE``).

Writes ``bench/results/http.json``.
"""

from __future__ import annotations

import array
import contextlib
import json
import multiprocessing as mp
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
from collections import Counter as Tally
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchlib

HOST = "127.0.0.1"
WARMUP = float(os.environ.get("BENCH_HTTP_WARMUP", "2"))
DURATION = float(os.environ.get("BENCH_HTTP_SECONDS", "10"))
CONCURRENCY = (1, 8)
# Database phases run in parts; between parts the queue is reset (issue) or topped up
# (call next), so that its depth stays what a busy office sees rather than growing
# to tens of thousands (call next on PostgreSQL costs more with every waiting ticket).
SEGMENTS = int(os.environ.get("BENCH_HTTP_SEGMENTS", "5"))
ASYNC_MODE = os.environ.get("BENCH_HTTP_ASYNC_MODE", "gevent")
SEGMENT_WARMUP = 0.3
# Seconds to wait, at most, for the server to finish leftover work between phases.
SETTLE_LIMIT = 15.0
CLERKS = 8
SERVER_START_TIMEOUT = 30.0
NOBAT = Path(sys.executable).with_name("nobat")
SERVICES = [
    "health-insurance",
    "national-id",
    "birth-certificate",
    "post-bank",
    "parcel",
    "landline",
    "mobile-sim",
    "tax-return",
    "vehicle-tolls",
]

# Targets of the brief, on this 2-core machine.
ENDPOINTS = {
    "health": "GET health",
    "issue": "POST tickets (kiosk, preview printer)",
    "issue-noprint": "POST tickets (kiosk, --printer none)",
    "next": "POST counters/{id}/next",
}
TARGET_ISSUE_SHARE = 0.50
TARGET_NEXT_P99_MS = 20.0
TARGET_ISSUES_PER_S = 500.0
TARGET_CALLS_PER_S = 700.0


# --- the load generator (runs in child processes) -------------------------------------------


class Connection:
    """One keep-alive HTTP/1.1 connection that reads just enough of each response."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.sock: socket.socket | None = None
        self.buf = b""

    def connect(self) -> None:
        self.close()
        sock = socket.create_connection((HOST, self.port), timeout=30)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock, self.buf = sock, b""

    def close(self) -> None:
        if self.sock is not None:
            with contextlib.suppress(OSError):
                self.sock.close()
            self.sock = None

    def request(self, raw: bytes) -> tuple[int, bytes]:
        if self.sock is None:
            self.connect()
        sock = self.sock
        assert sock is not None
        sock.sendall(raw)
        buf = self.buf
        for _ in range(10_000):
            end = buf.find(b"\r\n\r\n")
            if end >= 0:
                break
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionError("server closed the connection")
            buf += chunk
        else:
            raise ConnectionError("no end of headers")
        head = buf[:end].lower()
        rest = buf[end + 4 :]
        status = int(head[9:12])
        at = head.find(b"\r\ncontent-length:")
        if at >= 0:
            stop = head.find(b"\r\n", at + 2)
            length = int(head[at + 17 : stop if stop >= 0 else None])
        elif status in (204, 304) or status < 200:
            length = 0
        else:
            raise ConnectionError("response without Content-Length")
        for _ in range(100_000):
            if len(rest) >= length:
                break
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionError("server closed the connection mid-body")
            rest += chunk
        body, self.buf = rest[:length], rest[length:]
        if b"\r\nconnection: close" in head:
            self.close()
        return status, body


def client(
    port: int,
    requests: list[bytes],
    start_at: float,
    measure_at: float,
    end_at: float,
    out: Any,
) -> None:
    """Send ``requests`` in turn until ``end_at``; report those started from ``measure_at``."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the parent's clean-up handler
    latencies = array.array("d")
    statuses: Tally[str] = Tally()
    errors: Tally[str] = Tally()
    cpu0 = cpu1 = None
    conn = Connection(port)
    try:
        delay = start_at - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        count = len(requests)
        for i in range(50_000_000):
            t0 = time.monotonic()
            if t0 >= end_at:
                break
            measuring = t0 >= measure_at
            if measuring and cpu0 is None:
                cpu0 = os.times()
            try:
                status, _body = conn.request(requests[i % count])
            except (OSError, ValueError) as error:
                if measuring:
                    errors[type(error).__name__] += 1
                conn.close()
                time.sleep(0.01)
                continue
            t1 = time.monotonic()
            if measuring:
                latencies.append(t1 - t0)
                statuses[str(status)] += 1
        cpu1 = os.times()
    finally:
        conn.close()
    cpu = None
    if cpu0 is not None and cpu1 is not None:
        cpu = (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)
    out.send(
        {
            "latencies": latencies.tobytes(),
            "statuses": dict(statuses),
            "errors": dict(errors),
            "cpu_seconds": cpu,
        }
    )
    out.close()


def run_clients(
    port: int, server_pid: int, per_client: list[list[bytes]], warmup: float, duration: float
) -> dict[str, Any]:
    """One client process per request list for ``warmup`` + ``duration`` seconds; raw figures."""
    ctx = mp.get_context("fork")
    start_at = time.monotonic() + 0.2 + 0.03 * len(per_client)
    measure_at = start_at + warmup
    end_at = measure_at + duration
    procs = []
    for requests in per_client:
        receiver, sender = ctx.Pipe(duplex=False)
        proc = ctx.Process(
            target=client,
            args=(port, requests, start_at, measure_at, end_at, sender),
            daemon=True,
        )
        proc.start()
        sender.close()
        procs.append((proc, receiver))
    meter = benchlib.CpuMeter()
    time.sleep(max(0.0, measure_at - time.monotonic()))
    meter.start()
    server_cpu0 = benchlib.process_cpu_seconds(server_pid)
    time.sleep(max(0.0, end_at - time.monotonic()))
    busy = meter.stop()
    server_cpu1 = benchlib.process_cpu_seconds(server_pid)
    raw: dict[str, Any] = {
        "seconds": duration,
        "latencies": [],
        "statuses": Tally(),
        "errors": Tally(),
        "client_cpu": 0.0,
        "server_cpu": None,
        "busy_core_seconds": None if busy is None else busy * duration,
    }
    if server_cpu0 is not None and server_cpu1 is not None:
        raw["server_cpu"] = server_cpu1 - server_cpu0
    for proc, receiver in procs:
        if receiver.poll(timeout=35):
            report = receiver.recv()
            values = array.array("d")
            values.frombytes(report["latencies"])
            raw["latencies"].extend(values)
            raw["statuses"].update(report["statuses"])
            raw["errors"].update(report["errors"])
            raw["client_cpu"] += report["cpu_seconds"] or 0.0
        else:
            raw["errors"]["client_lost"] += 1
        proc.join(timeout=5)
        if proc.is_alive():
            proc.terminate()
            proc.join(timeout=5)
    return raw


def run_phase(
    port: int,
    server_pid: int,
    per_client: list[list[bytes]],
    ok_status: int,
    segments: int = 1,
    before_segment: Callable[[int, float | None], dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """WARMUP, then DURATION seconds measured in ``segments`` equal parts.

    ``before_segment(k, rate)`` runs while no client is sending (it may reset or top up
    the queue) and gets the rate of successful answers in the previous part; what it
    returns is kept.
    Later parts warm up for SEGMENT_WARMUP seconds (new connections) before measuring.
    """
    raws = []
    prepared = []
    rate = None
    for k in range(segments):
        if before_segment is not None:
            prepared.append(before_segment(k, rate))
        raw = run_clients(
            port,
            server_pid,
            per_client,
            WARMUP if k == 0 else SEGMENT_WARMUP,
            DURATION / segments,
        )
        rate = raw["statuses"].get(str(ok_status), 0) / raw["seconds"]
        raws.append(raw)
    latencies: list[float] = []
    statuses: Tally[str] = Tally()
    errors: Tally[str] = Tally()
    for raw in raws:
        latencies.extend(raw["latencies"])
        statuses.update(raw["statuses"])
        errors.update(raw["errors"])
    seconds = sum(raw["seconds"] for raw in raws)
    ok = statuses.get(str(ok_status), 0)
    empty = statuses.get("204", 0) if ok_status != 204 else 0
    bad = sum(n for s, n in statuses.items() if s not in (str(ok_status), "204"))

    def per_second(values: list[float | None]) -> float | None:
        if any(v is None for v in values):
            return None
        return round(sum(v for v in values if v is not None) / seconds, 2)

    result = {
        "clients": len(per_client),
        "seconds": seconds,
        "segments": segments,
        "requests": len(latencies),
        "ok": ok,
        "empty_204": empty,
        "per_second": round(ok / seconds, 1),
        "all_per_second": round(len(latencies) / seconds, 1),
        **benchlib.latency_summary(latencies),
        "error_statuses": bad,
        "statuses": dict(statuses),
        "client_errors": dict(errors),
        "errors": bad + sum(errors.values()),
        "server_cores": per_second([raw["server_cpu"] for raw in raws]),
        "client_cores": per_second([raw["client_cpu"] for raw in raws]),
        "machine_busy_cores": per_second([raw["busy_core_seconds"] for raw in raws]),
    }
    if prepared:
        result["before_segments"] = prepared
    return result


# --- preparing an instance --------------------------------------------------------------------


def cli_env(instance: Path, url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NOBAT_")}
    env.update(
        {
            "NOBAT_INSTANCE": str(instance),
            "NOBAT_DATABASE_URL": url,
            "NOBAT_SECRET_KEY": "bench-secret-key",
            "NOBAT_DEMO_PASSWORD": "bench-password",
            "PYTHONUNBUFFERED": "1",
            "NOBAT_ASYNC_MODE": ASYNC_MODE,
            # The ceiling of the server from a few tokens, far past any kiosk's pace: the
            # rate limits would refuse most of it (their own cost: bench/results/MEASUREMENTS.md).
            "NOBAT_RATE_LIMITS": "off",
        }
    )
    return env


def nobat(env: dict[str, str], *args: str, timeout: float = 120) -> str:
    done = subprocess.run(
        [str(NOBAT), *args],
        env=env,
        cwd=benchlib.REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"nobat {' '.join(args)} failed: {done.stderr[-2000:]}")
    return done.stdout


def create_tokens(env: dict[str, str], commands: dict[str, list[str]]) -> dict[str, str]:
    """Run several ``nobat token create`` at once (each is a second of start-up)."""
    procs = {
        name: subprocess.Popen(
            [str(NOBAT), "token", "create", *args],
            env=env,
            cwd=benchlib.REPO_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name, args in commands.items()
    }
    tokens = {}
    for name, proc in procs.items():
        out, err = proc.communicate(timeout=120)
        if proc.returncode != 0:
            raise RuntimeError(f"token create for {name} failed: {err[-2000:]}")
        tokens[name] = out.strip().splitlines()[-1]
        if not tokens[name].startswith("nbt_"):
            raise RuntimeError(f"unexpected token output for {name}: {out!r}")
    return tokens


def add_clerks(url: str) -> dict[int, int]:
    """Counters 5..8 mirroring 1..4 and clerks clerk5..clerk8; {clerk number: counter id}."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from server.database import make_engine
    from server.models import Counter, CounterService, Office, Role, User
    from server.passwords import hash_password

    db = make_engine(url)
    try:
        with Session(db) as s:
            office = s.scalar(select(Office).where(Office.code == "amol"))
            assert office is not None, "the demo office is missing"
            counters = {
                c.number: c
                for c in s.scalars(select(Counter).where(Counter.office_id == office.id))
            }
            password = hash_password("bench-password")
            for n in range(5, CLERKS + 1):
                model = counters[n - 4]
                counter = Counter(office_id=office.id, number=n, name=f"باجه {n}")
                counter.links = [
                    CounterService(service_id=link.service_id, tier=link.tier)
                    for link in model.links
                ]
                s.add(counter)
                s.add(
                    User(
                        username=f"clerk{n}",
                        full_name=f"Clerk{n}",
                        password_hash=password,
                        role=Role.CLERK,
                        office_id=office.id,
                    )
                )
            s.commit()
            rows = s.execute(
                select(Counter.number, Counter.id).where(Counter.office_id == office.id)
            ).all()
            return {number: cid for number, cid in rows}
    finally:
        db.dispose()


class Queue:
    """Direct database access of the bench (set-up only): queue depth and top-ups."""

    def __init__(self, url: str) -> None:
        from sqlalchemy import select

        from server.database import make_engine
        from server.engine.clock import business_date, utcnow
        from server.models import CounterService, Office, Service

        self.db = make_engine(url)
        with self.db.connect() as c:
            office_id, tz = c.execute(
                select(Office.id, Office.timezone).where(Office.code == "amol")
            ).one()
            self.service_ids = list(
                c.execute(
                    select(Service.id).where(Service.office_id == office_id).order_by(Service.id)
                ).scalars()
            )
            self.primary: dict[int, list[int]] = {}
            for counter_id, service_id in c.execute(
                select(CounterService.counter_id, CounterService.service_id)
                .where(CounterService.tier == 1)
                .order_by(CounterService.counter_id, CounterService.service_id)
            ):
                self.primary.setdefault(counter_id, []).append(service_id)
        self.office_id = office_id
        self.today = business_date(tz, utcnow())

    def waiting_by_service(self) -> dict[int, int]:
        from sqlalchemy import func, select

        from server.models import Ticket

        with self.db.connect() as c:
            return dict(
                c.execute(
                    select(Ticket.service_id, func.count())
                    .where(Ticket.status == "waiting")
                    .group_by(Ticket.service_id)
                ).all()
            )

    def waiting(self) -> int:
        return sum(self.waiting_by_service().values())

    def top_up(self, counter_ids: list[int], per_counter: int) -> dict[str, Any]:
        """At least ``per_counter`` waiting tickets in each counter's primary services.

        Set-up, while the server is idle. Counters sharing primary services (5–8 mirror
        1–4) add up, so that no clerk runs dry before the others.
        """
        wanted: dict[int, float] = {}
        for counter_id in counter_ids:
            services = self.primary[counter_id]
            for sid in services:
                wanted[sid] = wanted.get(sid, 0.0) + per_counter / len(services)
        have = self.waiting_by_service()
        missing = {sid: int(n + 0.999) - have.get(sid, 0) for sid, n in wanted.items()}
        added = benchlib.fill_queue(self.db, self.office_id, missing, 0, self.today)
        before = sum(have.values())
        return {"waiting_left": before, "waiting": before + added}

    def reset(self) -> dict[str, Any]:
        """Cancel every waiting ticket (set-up, while the server is idle): an empty queue."""
        from sqlalchemy import update

        from server.engine.clock import utcnow
        from server.models import Ticket

        with self.db.begin() as c:
            cancelled = c.execute(
                update(Ticket)
                .where(Ticket.status == "waiting")
                .values(status="cancelled", finished_at=utcnow())
            ).rowcount
        return {"waiting_left": cancelled, "waiting": 0}

    def unprinted(self) -> int:
        """Print jobs not yet printed or failed: the render process's backlog."""
        from sqlalchemy import func, select

        from server.models import PrintJob, PrintState

        with self.db.connect() as c:
            return c.scalar(
                select(func.count())
                .select_from(PrintJob)
                .where(PrintJob.state == PrintState.PENDING)
            )

    def close(self) -> None:
        self.db.dispose()


class TopUp:
    """Before each part of a *call next* phase: enough waiting tickets for the clerks."""

    def __init__(self, queue: Queue, counter_ids: list[int], estimate: float) -> None:
        self.queue, self.counter_ids, self.estimate = queue, counter_ids, estimate

    def __call__(self, k: int, rate: float | None) -> dict[str, Any]:
        # Enough for this part with half again to spare; the estimate only grows, so a
        # part where clerks ran dry (fast 204s) does not starve the next one.
        self.estimate = max(self.estimate, rate or 0.0)
        seconds = (WARMUP if k == 0 else SEGMENT_WARMUP) + DURATION / SEGMENTS
        per_counter = int(1.5 * self.estimate / len(self.counter_ids) * seconds) + 20
        return self.queue.top_up(self.counter_ids, per_counter)


@contextlib.contextmanager
def server(
    env: dict[str, str], log_path: Path, keep_to: Path | None = None
) -> Iterator[tuple[int, int]]:
    """``nobat serve`` on a free port; yields (port, worker pid); always stopped afterwards.

    If the server log shows trouble (a traceback, a restarted worker), it is copied to
    ``keep_to`` for a look afterwards.
    """
    port = benchlib.free_port()
    log = log_path.open("wb")
    proc = subprocess.Popen(
        [str(NOBAT), "serve", "--host", HOST, "--port", str(port)],
        env=env,
        cwd=benchlib.REPO_ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        for _ in range(1000):
            if proc.poll() is not None:
                raise RuntimeError(f"nobat serve exited early: {tail(log_path)}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"nobat serve did not answer in time: {tail(log_path)}")
            try:
                status, _ = Connection(port).request(
                    f"GET /api/v1/health HTTP/1.1\r\nHost: {HOST}:{port}\r\n\r\n".encode()
                )
                if status == 200:
                    break
            except OSError:
                pass
            time.sleep(0.1)
        yield port, worker_pid(proc.pid)
    finally:
        stop(proc)
        log.close()
        text = tail(log_path, 2_000_000)
        trouble = (
            "Traceback" in text or "WORKER TIMEOUT" in text or text.count("Booting worker") > 1
        )
        if keep_to is not None and trouble:
            keep_to.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(log_path, keep_to)


def worker_pid(master: int) -> int:
    """gunicorn's one worker: the child of the master (the master itself if none is found)."""
    try:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        return int(children[0]) if children else master
    except (OSError, ValueError, IndexError):
        return master


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)
    # The worker is in the master's session; make sure nothing of it lingers.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


def tail(path: Path, size: int = 3000) -> str:
    try:
        return path.read_bytes()[-size:].decode(errors="replace")
    except OSError:
        return ""


# --- requests -------------------------------------------------------------------------------


def get(port: int, path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\n\r\n".encode()


def post(port: int, path: str, token: str, body: dict[str, Any] | None = None) -> bytes:
    data = json.dumps(body).encode() if body is not None else b""
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n"
    )
    return head.encode() + data


def bench_database(label: str, url: str, work: Path, measure_health: bool) -> dict[str, Any]:
    instance = work / label
    instance.mkdir()
    env = cli_env(instance, url)
    t0 = time.monotonic()
    nobat(env, "db", "upgrade")
    nobat(env, "seed-demo")
    counters = add_clerks(url)
    commands = {
        "kiosk": ["--device", "kiosk", "--office", "amol", "--name", "bench kiosk"],
        "kiosk-noprint": [
            "--device", "kiosk", "--office", "amol", "--name", "bench kiosk", "--printer", "none",
        ],
    }  # fmt: skip
    commands.update({f"clerk{n}": ["--user", f"clerk{n}"] for n in range(1, CLERKS + 1)})
    tokens = create_tokens(env, commands)
    queue = Queue(url)
    result: dict[str, Any] = {"setup_seconds": round(time.monotonic() - t0, 1), "phases": {}}
    phases = result["phases"]
    settled: dict[str, float] = {}
    result["settle_seconds"] = settled
    try:
        keep = benchlib.RESULTS_DIR / f"http-{label}-server.log"
        keep.unlink(missing_ok=True)
        with server(env, instance / "server.log", keep) as (port, pid):
            result["server_pid"] = pid

            def issues(token: str) -> list[bytes]:
                path = "/api/v1/offices/amol/tickets"
                return [post(port, path, token, {"service": s}) for s in SERVICES]

            kiosk, kiosk_noprint = issues(tokens["kiosk"]), issues(tokens["kiosk-noprint"])
            clerk = [
                post(port, f"/api/v1/counters/{counters[n]}/next", tokens[f"clerk{n}"])
                for n in range(1, CLERKS + 1)
            ]
            warm_up(port, kiosk, kiosk_noprint, clerk)
            settled["warm-up"] = settle(pid)

            if measure_health:
                for n in CONCURRENCY:
                    print(f"  {label}: health × {n}", flush=True)
                    phases[f"health/{n}"] = run_phase(
                        port, pid, [[get(port, "/api/v1/health")]] * n, 200
                    )

            def issue_phase(key: str, requests: list[bytes], n: int, last: bool = False) -> None:
                print(f"  {label}: {key} × {n}", flush=True)
                per_client = [requests[i % 9 :] + requests[: i % 9] for i in range(n)]
                phase = run_phase(
                    port, pid, per_client, 201, SEGMENTS, lambda _k, _rate: queue.reset()
                )
                left = [b["waiting_left"] for b in phase["before_segments"][1:]]
                phase["max_waiting"] = max([*left, queue.waiting()])
                phases[f"{key}/{n}"] = phase
                if not last:  # nothing runs after the last phase
                    settled[f"{key}/{n}"] = settle(pid)

            # Without server-side printing first: the preview printer renders each ticket in
            # a thread of the server, and its backlog would weigh on whatever runs next.
            issue_phase("issue-noprint", kiosk_noprint, max(CONCURRENCY))

            rate_seen: list[float] = []
            for n in CONCURRENCY:
                queue.reset()
                top_up = TopUp(
                    queue,
                    [counters[i] for i in range(1, n + 1)],
                    1.5 * max(rate_seen) if rate_seen else 300.0,
                )
                print(f"  {label}: next × {n}", flush=True)
                phase = run_phase(port, pid, [[clerk[i]] for i in range(n)], 200, SEGMENTS, top_up)
                phase["max_waiting"] = max(b["waiting"] for b in phase["before_segments"])
                phases[f"next/{n}"] = phase
                rate_seen.append(phase["per_second"])

            for n in CONCURRENCY:
                issue_phase("issue", kiosk, n, last=n == CONCURRENCY[-1])
    finally:
        queue.close()
    log_text = tail(instance / "server.log", 2_000_000)
    result["server_log"] = {
        "tracebacks": log_text.count("Traceback"),
        "worker_timeouts": log_text.count("WORKER TIMEOUT"),
        "workers_booted": log_text.count("Booting worker"),
        "kept_at": str(keep.relative_to(benchlib.REPO_ROOT)) if keep.exists() else None,
    }
    return result


def settle(pid: int, limit: float = SETTLE_LIMIT) -> float:
    """Wait (bounded) until the server stops using CPU: leftovers (print backlog) done."""
    started = time.monotonic()
    for _ in range(int(limit / 0.25) + 1):
        before = benchlib.process_cpu_seconds(pid)
        time.sleep(0.25)
        after = benchlib.process_cpu_seconds(pid)
        if before is None or after is None or after - before < 0.02:
            break
        if time.monotonic() - started > limit:
            break
    return round(time.monotonic() - started, 2)


def warm_up(port: int, kiosk: list[bytes], kiosk_noprint: list[bytes], clerk: list[bytes]) -> None:
    """A few requests of each kind: imports, connection pool, statement caches, day sweep,
    and the ticket renderer (a few printed tickets: each costs tens of milliseconds)."""
    conn = Connection(port)
    try:
        for i in range(60):
            conn.request(get(port, "/api/v1/health"))
            conn.request(kiosk_noprint[i % len(kiosk_noprint)])
        for i in range(60):
            conn.request(clerk[i % len(clerk)])
        for i in range(5):
            conn.request(kiosk[i % len(kiosk)])
    finally:
        conn.close()


# --- report -----------------------------------------------------------------------------------


def report(results: dict[str, Any], notes: list[str]) -> dict[str, Any]:
    rows = []
    targets = []
    health_8 = health_1 = None
    for db_name, r in results.items():
        phases = r["phases"]
        health_1 = phases.get("health/1", {}).get("per_second") or health_1
        health_8 = phases.get("health/8", {}).get("per_second") or health_8
        for key, p in phases.items():
            endpoint, clients = key.split("/")
            rows.append(
                [
                    db_name,
                    ENDPOINTS.get(endpoint, endpoint),
                    int(clients),
                    p["per_second"],
                    p["p50_ms"],
                    p["p99_ms"],
                    p["max_ms"],
                    p["errors"],
                    p["empty_204"],
                    p.get("max_waiting"),
                    p["server_cores"],
                    p["client_cores"],
                    p["machine_busy_cores"],
                ]
            )
        for n, health in ((1, health_1), (8, health_8)):
            for kind in ("issue", "issue-noprint"):
                issue = phases.get(f"{kind}/{n}", {}).get("per_second")
                if issue and health:
                    r[f"{kind}_health_ratio/{n}"] = round(issue / health, 3)
        ratio8 = r.get("issue_health_ratio/8")
        ratio1 = r.get("issue_health_ratio/1")
        nxt = phases.get("next/8", {})
        iss = phases.get("issue/8", {})
        targets += [
            {
                "name": f"http/{db_name}: issue rate ≥ 50 % of health rate (8 clients)",
                "target": f"≥ {TARGET_ISSUE_SHARE:.0%}",
                "value": f"{ratio8:.0%}" if ratio8 is not None else None,
                "pass": ratio8 is not None and ratio8 >= TARGET_ISSUE_SHARE,
            },
            {
                "name": f"http/{db_name}: issue rate ≥ 50 % of health rate (1 client)",
                "target": f"≥ {TARGET_ISSUE_SHARE:.0%}",
                "value": f"{ratio1:.0%}" if ratio1 is not None else None,
                "pass": ratio1 is not None and ratio1 >= TARGET_ISSUE_SHARE,
            },
            {
                "name": f"http/{db_name}: call next p99 with 8 clerks",
                "target": f"< {TARGET_NEXT_P99_MS:g} ms",
                "value": f"{nxt.get('p99_ms')} ms",
                "pass": nxt.get("p99_ms") is not None and nxt["p99_ms"] < TARGET_NEXT_P99_MS,
            },
            {
                "name": f"http/{db_name}: tickets issued per second, 8 clients",
                "target": f"≥ {TARGET_ISSUES_PER_S:g}/s",
                "value": f"{iss.get('per_second')}/s",
                "pass": (iss.get("per_second") or 0) >= TARGET_ISSUES_PER_S,
            },
            {
                "name": f"http/{db_name}: calls per second, 8 clerks",
                "target": f"≥ {TARGET_CALLS_PER_S:g}/s",
                "value": f"{nxt.get('per_second')}/s",
                "pass": (nxt.get("per_second") or 0) >= TARGET_CALLS_PER_S,
            },
        ]
    ratio_rows = [
        [
            db,
            r.get("issue_health_ratio/1"),
            r.get("issue_health_ratio/8"),
            r.get("issue-noprint_health_ratio/8"),
        ]
        for db, r in results.items()
    ]
    return {
        "bench": "http",
        "title": f"HTTP through nobat serve (gunicorn, one process, NOBAT_ASYNC_MODE={ASYNC_MODE})",
        "date": benchlib.now_iso(),
        "machine": benchlib.machine(),
        "tables": [
            {
                "title": "Requests through nobat serve",
                "columns": [
                    "database",
                    "endpoint",
                    "clients",
                    "req/s",
                    "p50 ms",
                    "p99 ms",
                    "max ms",
                    "errors",
                    "204s",
                    "max waiting",
                    "server cores",
                    "client cores",
                    "machine busy cores",
                ],
                "rows": rows,
                "notes": [
                    f"Each phase: {WARMUP:g} s warm-up, then {DURATION:g} s measured (issue and "
                    f"next in {SEGMENTS} parts: before each part the waiting queue is emptied "
                    "(issue) or topped up with 1.5 × what the clerks are expected to call "
                    "(next), so its depth stays near what a busy office sees; 'max waiting' is "
                    "the deepest it got). req/s counts successful answers (201 for issue, 200 "
                    "for the others); 204s (nothing waiting) are counted apart.",
                    "GET health = GET /api/v1/health (no database); POST tickets = POST "
                    "/api/v1/offices/amol/tickets with a kiosk token from `nobat token create "
                    "--device kiosk` (its default printer is the embedded preview printer: each "
                    "ticket is rendered, encoded and drawn as a PNG in the server's render "
                    "process, and the server writes the files) or from the same "
                    "with `--printer none`; next = POST /api/v1/counters/{id}/next, clerk N at "
                    "counter N. Targets use the default kiosk.",
                    "Order: health, issue without printing, next, issue with printing (its "
                    "render backlog would otherwise weigh on the phases after it); between "
                    f"phases the bench waits (≤ {SETTLE_LIMIT:g} s) for the server's CPU to go "
                    "idle.",
                    "server/client cores: CPU seconds per second of the gunicorn worker and of "
                    "the load generator; machine busy cores: all CPU use of the machine "
                    "(including PostgreSQL and anything else running).",
                    *notes,
                ],
            },
            {
                "title": "Issue rate / health rate",
                "columns": [
                    "database",
                    "1 client",
                    "8 clients",
                    "8 clients, kiosk without server-side printing",
                ],
                "rows": ratio_rows,
                "notes": [],
            },
        ],
        "targets": targets,
        "data": results,
    }


def main() -> int:
    benchlib.terminate_on_sigterm()
    started = time.monotonic()
    results: dict[str, Any] = {}
    notes: list[str] = []
    load_before = os.getloadavg()
    errors: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="nobat-bench-http-") as tmp:
        work = Path(tmp)
        wanted = os.environ.get("BENCH_DATABASES", "sqlite,postgresql").split(",")
        if os.environ.get("BENCH_HTTP_POSTGRES", "1") != "1":
            wanted = [w for w in wanted if w != "postgresql"]
        for name in ("sqlite", "postgresql"):
            if name not in wanted:
                notes.append(f"{name} run skipped (BENCH_DATABASES / BENCH_HTTP_POSTGRES).")
                continue
            if name == "postgresql" and benchlib.postgres_version() is None:
                notes.append("PostgreSQL run skipped: not reachable.")
                continue
            print(f"http bench: {name}", flush=True)
            try:
                if name == "sqlite":
                    url = f"sqlite:///{work / 'nobat.sqlite3'}"
                    results[name] = bench_database(name, url, work, measure_health=True)
                else:
                    with benchlib.postgres_database("nobat_bench_http") as url:
                        results[name] = bench_database(name, url, work, measure_health=False)
                    notes.append(
                        "The PostgreSQL run reuses the SQLite run's health rate for its ratio "
                        "(the health endpoint touches no database)."
                    )
            except Exception as error:  # one database failing must not lose the other's figures
                traceback.print_exc()
                errors[name] = f"{type(error).__name__}: {str(error)[-1500:]}"
    notes.append(
        f"Load average before the run: {', '.join(f'{x:.2f}' for x in load_before)}; after: "
        f"{', '.join(f'{x:.2f}' for x in os.getloadavg())}."
    )
    payload = report(results, notes)
    payload["errors"] = errors
    payload["data"]["wall_seconds"] = round(time.monotonic() - started, 1)
    path = benchlib.write_result("http", payload)
    print(f"wrote {path}")
    benchlib.print_report(payload)
    for name, error in errors.items():
        print(f"ERROR {name}: {error}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
