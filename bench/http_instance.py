"""A served instance for the HTTP bench: prepared with the CLI as the README says, clerks
added for eight counters, ``nobat serve`` started and stopped, its queue kept at a busy
office's depth, and the prebuilt requests sent to it."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import benchlib
import http_load
from http_load import HOST, Connection

from harness import bulk
from harness.processes import free_port

ASYNC_MODE = os.environ.get("BENCH_HTTP_ASYNC_MODE", "gevent")
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
            # Likewise the default daily cap: a service's 500 numbers last a second here.
            "NOBAT_DEFAULT_DAILY_CAP": "0",
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
        added = bulk.fill_queue(self.db, self.office_id, missing, 0, self.today)
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
        # Read when called: profile_server.py changes the phases' lengths.
        warmup = http_load.WARMUP if k == 0 else http_load.SEGMENT_WARMUP
        seconds = warmup + http_load.DURATION / http_load.SEGMENTS
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
    port = free_port()
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
