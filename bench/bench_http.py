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

import os
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchlib
from http_instance import (
    ASYNC_MODE,
    CLERKS,
    SERVICES,
    Queue,
    TopUp,
    add_clerks,
    cli_env,
    create_tokens,
    get,
    nobat,
    post,
    server,
    tail,
)
from http_load import DURATION, SEGMENTS, WARMUP, Connection, run_phase

CONCURRENCY = (1, 8)
# Seconds to wait, at most, for the server to finish leftover work between phases.
SETTLE_LIMIT = 15.0
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
