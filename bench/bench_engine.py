"""The queue engine in-process, without HTTP: issue, call next and their cycle per second.

Every command runs as the API runs it: a fresh session, the command, one commit.
On SQLite (a WAL file in a temporary directory) and on PostgreSQL (a throwaway
database), with the demo office of ``server/seed.py`` (nine services, four
counters, clerk1..clerk4 each at their own counter).

Measured:

- cycle: issue a ticket, then *call next* at counter 1 by clerk1, which also
  completes the ticket called in the previous cycle (one clerk driving the
  engine; the queue stays about one deep);
- issue alone (services in turn; the queue grows);
- call next alone (counters 1–4 in turn, each by its clerk, draining that queue);
- whether call next grows with history or with the queue: the same measure on a
  fresh database and after adding 50,000 served tickets of previous business days
  (with their events), each with a short waiting queue and with one of 5,000.

Writes ``bench/results/engine.json``.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchlib
from engine_report import (
    DEEP_QUEUE,
    HISTORY,
    HISTORY_EVENTS,
    PER_ROUND,
    ROUNDS,
    SECONDS,
    report,
)
from sqlalchemy import func, select

from harness import bulk
from server import auth, engine
from server.database import Base, make_engine
from server.engine import Actor, EngineSettings, NullPublisher
from server.engine.clock import business_date, utcnow
from server.engine.sessions import make_sessionmaker
from server.models import ApiToken, Counter, Office, Service, Ticket, TokenKind, User
from server.seed import seed_demo

# The app's defaults (estimates cached 30 s), but no daily cap: a bench issues thousands a service.
SETTINGS = EngineSettings(default_daily_cap=None)


@dataclass
class Office1:
    """The demo office as the bench drives it."""

    db: Any  # the SQLAlchemy Engine
    sessions: Any  # the sessionmaker
    office_id: int
    today: Any
    service_ids: list[int]
    service_codes: list[str]
    counters: list[tuple[int, Actor, list[str]]]  # (counter id, its clerk, services tier 1 first)
    kiosk: Actor


def build(url: str) -> Office1:
    db = make_engine(url)
    Base.metadata.create_all(db)
    sessions = make_sessionmaker(db, NullPublisher())
    with sessions() as s:
        seeded = seed_demo(s, "bench-password")
        office = seeded.office
        secret = auth.create_token(s, device=TokenKind.KIOSK, office_id=office.id, name="bench")
        s.commit()
        kiosk_id = s.scalar(
            select(ApiToken.id).where(ApiToken.token_hash == auth.hash_token(secret))
        )
        clerks = {u.username: u.id for u in s.scalars(select(User))}
        counters = [
            (
                c.id,
                Actor(user_id=clerks[f"clerk{c.number}"]),
                [link.service.code for link in sorted(c.links, key=lambda link: link.tier)],
            )
            for c in s.scalars(
                select(Counter).where(Counter.office_id == office.id).order_by(Counter.number)
            )
        ]
        services = s.scalars(
            select(Service).where(Service.office_id == office.id).order_by(Service.position)
        ).all()
        return Office1(
            db=db,
            sessions=sessions,
            office_id=office.id,
            today=business_date(office.timezone, utcnow()),
            service_ids=[sv.id for sv in services],
            service_codes=[sv.code for sv in services],
            counters=counters,
            kiosk=Actor(device_token_id=kiosk_id),
        )


# --- the commands, one transaction each, as the API runs them -----------------------------


def load_office(session: Any, office_id: int) -> Any:
    """The office as ``engine.issue`` takes it: the engine's read model if it has one."""
    try:
        from server.engine.facts import office_by_id
    except ImportError:
        return session.get(Office, office_id)
    return office_by_id(session, office_id)


def issue(o: Office1, service: str) -> None:
    with o.sessions() as s:
        office = load_office(s, o.office_id)
        engine.issue(s, office, service, actor=o.kiosk, settings=SETTINGS)
        s.commit()


def call_next(o: Office1, counter: int) -> bool:
    counter_id, clerk, _services = o.counters[counter]
    with o.sessions() as s:
        ticket = engine.call_next(s, counter_id, actor=clerk, settings=SETTINGS)
        s.commit()
        return ticket is not None


def waiting(o: Office1) -> int:
    with o.sessions() as s:
        return s.scalar(select(func.count()).select_from(Ticket).where(Ticket.status == "waiting"))


# --- measuring ------------------------------------------------------------------------------


def timed(op: Callable[[int], Any], max_ops: int, seconds: float) -> dict[str, Any]:
    """Run ``op(i)`` until ``max_ops`` or ``seconds``; rate and latency of each call."""
    latencies: list[float] = []
    results: list[Any] = []
    cpu = time.process_time()
    start = time.perf_counter()
    deadline = start + seconds
    for i in range(max_ops):
        t0 = time.perf_counter()
        if t0 >= deadline:
            break
        results.append(op(i))
        latencies.append(time.perf_counter() - t0)
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu
    return {
        "ops": len(latencies),
        "seconds": round(elapsed, 3),
        "per_second": round(len(latencies) / elapsed, 1) if elapsed else None,
        "cpu_ms": round(1000 * cpu / len(latencies), 3) if latencies else None,
        **benchlib.latency_summary(latencies),
        "_results": results,
    }


def strip(measure: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in measure.items() if not k.startswith("_")}


def throughput(o: Office1) -> dict[str, Any]:
    out: dict[str, Any] = {}
    counter_services = o.counters[0][2]

    # Warm-up: connections, statement caches, the day sweep, the estimate cache.
    for i in range(100):
        issue(o, counter_services[i % len(counter_services)])
        call_next(o, 0)

    issue_lat: list[float] = []
    call_lat: list[float] = []

    def cycle(i: int) -> bool:
        t0 = time.perf_counter()
        issue(o, counter_services[i % len(counter_services)])
        t1 = time.perf_counter()
        called = call_next(o, 0)
        issue_lat.append(t1 - t0)
        call_lat.append(time.perf_counter() - t1)
        return called

    m = timed(cycle, 20_000, SECONDS)
    out["cycle"] = {
        **strip(m),
        "empty_calls": m["_results"].count(False),
        "issue_part": benchlib.latency_summary(issue_lat),
        "call_part": benchlib.latency_summary(call_lat),
        "waiting_after": waiting(o),
    }

    codes = o.service_codes
    m = timed(lambda i: issue(o, codes[i % len(codes)]), 20_000, SECONDS)
    out["issue"] = {**strip(m), "waiting_after": waiting(o)}

    depth = waiting(o)
    n = len(o.counters)
    m = timed(lambda i: call_next(o, i % n), max(depth, 1), SECONDS)
    out["call_next"] = {
        **strip(m),
        "waiting_before": depth,
        "empty_calls": m["_results"].count(False),
        "waiting_after": waiting(o),
    }
    return out


def history(fresh: Office1, old: Office1, analyze: bool) -> dict[str, Any]:
    """Call next and issue on two offices alike but for history, measured in alternation.

    ``old`` gets HISTORY served tickets of previous days; both then issue and call
    the same numbers of tickets in interleaved rounds, so that whatever else the
    machine does weighs on both measures alike. Then both queues are filled to
    DEEP_QUEUE waiting tickets and measured again the same way.
    """
    n = len(fresh.counters)
    codes = fresh.service_codes
    for o in (fresh, old):
        for i in range(60):  # warm-up
            issue(o, codes[i % len(codes)])
            call_next(o, i % n)
        for _ in range(100):  # drain what the warm-up left
            if not any([call_next(o, k) for k in range(n)]):
                break

    t0 = time.perf_counter()
    counter_ids = [c[0] for c in old.counters]
    clerk_ids = [c[1].user_id for c in old.counters]
    bulk.add_history(
        old.db,
        old.office_id,
        old.service_ids,
        counter_ids,
        clerk_ids,
        HISTORY,
        old.today,
        events_per_ticket=HISTORY_EVENTS,
    )
    if analyze:
        for o in (fresh, old):
            benchlib.analyze(o.db)
    out: dict[str, Any] = {
        "history_insert_seconds": round(time.perf_counter() - t0, 1),
        "analyzed": analyze,
        "rounds": ROUNDS,
        "per_round": PER_ROUND,
    }

    def rounds(label: str) -> dict[str, dict[str, Any]]:
        samples = {
            id(o): {"issue": [], "call": [], "empty": 0, "cpu": [0.0, 0.0]} for o in (fresh, old)
        }
        depth = {id(o): waiting(o) for o in (fresh, old)}
        deadline = time.monotonic() + 6 * SECONDS
        for r in range(ROUNDS):
            if time.monotonic() > deadline:
                break
            for o in (fresh, old) if r % 2 == 0 else (old, fresh):
                rec = samples[id(o)]
                c0 = time.process_time()
                for i in range(PER_ROUND):
                    t = time.perf_counter()
                    issue(o, codes[(r * PER_ROUND + i) % len(codes)])
                    rec["issue"].append(time.perf_counter() - t)
                c1 = time.process_time()
                for i in range(PER_ROUND):
                    t = time.perf_counter()
                    rec["empty"] += not call_next(o, i % n)
                    rec["call"].append(time.perf_counter() - t)
                rec["cpu"][0] += c1 - c0
                rec["cpu"][1] += time.process_time() - c1
        result = {}
        for o, name in ((fresh, "no history"), (old, f"{HISTORY:,} old tickets")):
            rec = samples[id(o)]
            with o.sessions() as s:
                total = s.scalar(select(func.count()).select_from(Ticket))
            result[name] = {
                "label": f"{name}, {label}",
                "tickets_in_table": total,
                "waiting_at_start": depth[id(o)],
                "issue": rate(rec["issue"], rec["cpu"][0]),
                "call_next": rate(rec["call"], rec["cpu"][1]),
                "empty_calls": rec["empty"],
            }
        return result

    out["short_queue"] = rounds(f"≤{PER_ROUND} waiting")
    for o in (fresh, old):
        bulk.fill_queue(o.db, o.office_id, o.service_ids, DEEP_QUEUE, o.today)
        if analyze:
            benchlib.analyze(o.db)
    out["deep_queue"] = rounds(f"{DEEP_QUEUE:,} waiting")
    return out


def rate(latencies: list[float], cpu_seconds: float) -> dict[str, Any]:
    total = sum(latencies)
    return {
        "ops": len(latencies),
        "per_second": round(len(latencies) / total, 1) if total else None,
        "cpu_ms": round(1000 * cpu_seconds / len(latencies), 3) if latencies else None,
        **benchlib.latency_summary(latencies),
    }


def run_backend(name: str, make_url: Callable[[str], Any]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    with make_url("main") as url:
        o = build(url)
        try:
            result["throughput"] = throughput(o)
        finally:
            o.db.dispose()
    with make_url("fresh") as fresh_url, make_url("history") as old_url:
        fresh, old = build(fresh_url), build(old_url)
        try:
            result["history"] = history(fresh, old, analyze=name == "postgresql")
        finally:
            fresh.db.dispose()
            old.db.dispose()
    return result


def main() -> int:
    benchlib.terminate_on_sigterm()
    started = time.monotonic()
    results: dict[str, Any] = {}
    errors: dict[str, str] = {}
    crashed: list[str] = []

    with tempfile.TemporaryDirectory(prefix="nobat-bench-engine-") as tmp:
        from contextlib import contextmanager

        @contextmanager
        def sqlite_url(label: str):
            yield f"sqlite:///{Path(tmp) / f'{label}.sqlite3'}"

        @contextmanager
        def postgres_url(label: str):
            with benchlib.postgres_database(f"nobat_bench_{label}") as url:
                yield url

        wanted = os.environ.get("BENCH_DATABASES", "sqlite,postgresql").split(",")
        backends: list[tuple[str, Any]] = []
        if "sqlite" in wanted:
            backends.append(("sqlite", sqlite_url))
        if "postgresql" in wanted and benchlib.postgres_version() is not None:
            backends.append(("postgresql", postgres_url))
        elif "postgresql" in wanted:
            errors["postgresql"] = "PostgreSQL not reachable; skipped"
        for name, make in backends:
            print(f"engine bench: {name} ...", flush=True)
            t0 = time.monotonic()
            meter = benchlib.CpuMeter()
            meter.start()
            try:
                results[name] = run_backend(name, make)
            except Exception as error:  # one database failing must not lose the other's
                traceback.print_exc()
                errors[name] = f"crashed: {type(error).__name__}: {str(error)[-1500:]}"
                crashed.append(name)
                continue
            results[name]["machine_busy_cores"] = meter.stop()
            results[name]["seconds"] = round(time.monotonic() - t0, 1)
            print(f"engine bench: {name} done in {time.monotonic() - t0:.0f} s", flush=True)

    payload = report(results, errors)
    payload["data"]["wall_seconds"] = round(time.monotonic() - started, 1)
    path = benchlib.write_result("engine", payload)
    print(f"wrote {path}")
    benchlib.print_report(payload)
    return 1 if crashed else 0


if __name__ == "__main__":
    sys.exit(main())
