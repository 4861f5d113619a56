"""Issue and call next on PostgreSQL under contention, with the database's wait events.

Every kiosk of a service takes its number from one row (the service's daily number),
and every command of an office bumps one row (the office's event counter); whoever
holds such a row until its commit makes the others wait. This bench serves the demo
office with ``nobat serve`` on a throwaway PostgreSQL database and measures, with
keep-alive clients (one kiosk token each, ``--printer none``):

- issue with 1 kiosk and with 8 kiosks on one service, and 8 kiosks spread over the
  office's nine services;
- *call next* with 8 clerks, each at their own counter, on a topped-up queue;

sampling ``pg_stat_activity`` every few milliseconds during each measured window: the
share of active backends waiting on a lock (``Lock:*``) is how much of the work is
queueing behind a held row. ``BENCH_CONTENTION_BEFORE=<directory>`` runs the same
phases first on the code in that directory (a checkout of the previous version), so
the two stand side by side from one run.

Writes ``bench/results/issue_contention.json``.
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
from collections import Counter as Tally
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchlib
import http_load
from http_instance import (
    CLERKS,
    SERVICES,
    Queue,
    TopUp,
    add_clerks,
    cli_env,
    create_tokens,
    nobat,
    post,
    server,
)

KIOSKS = 8
SAMPLE_EVERY = 0.005
TARGET_SINGLE_P99_MS = 50.0
TARGET_SPREAD_P99_MS = 30.0
TARGET_NEXT_P99_MS = 30.0


class WaitSampler:
    """Samples what the bench database's active backends wait on, in a thread of its own."""

    def __init__(self, url: str) -> None:
        import psycopg

        self.connection = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"))
        self.connection.autocommit = True
        self.samples: Tally[str] = Tally()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> WaitSampler:
        self.samples.clear()
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        query = (
            "SELECT coalesce(wait_event_type, 'CPU') || ':' || coalesce(wait_event, '-')"
            " FROM pg_stat_activity WHERE datname = current_database()"
            " AND state = 'active' AND pid <> pg_backend_pid()"
        )
        with self.connection.cursor() as cursor:
            while not self._stop.wait(SAMPLE_EVERY):
                cursor.execute(query)
                self.samples.update(row[0] for row in cursor.fetchall())

    def shares(self) -> dict[str, Any]:
        total = sum(self.samples.values())
        locks = sum(n for kind, n in self.samples.items() if kind.startswith("Lock:"))
        return {
            "samples": total,
            "lock_share": round(locks / total, 3) if total else None,
            "top": {k: round(n / total, 3) for k, n in self.samples.most_common(6)},
        }

    def close(self) -> None:
        self.connection.close()


def measure(label: str, code: Path, url: str, work: Path) -> dict[str, Any]:
    """Every phase on the code in ``code`` against a fresh database at ``url``."""
    instance = work / label
    instance.mkdir()
    env = cli_env(instance, url) | {"PYTHONPATH": str(code)}
    nobat(env, "db", "upgrade")
    nobat(env, "seed-demo")
    counters = add_clerks(url)
    kiosk = ["--device", "kiosk", "--office", "amol", "--printer", "none"]
    commands = {f"kiosk{n}": [*kiosk, "--name", f"bench kiosk {n}"] for n in range(KIOSKS)}
    commands.update({f"clerk{n}": ["--user", f"clerk{n}"] for n in range(1, CLERKS + 1)})
    tokens = create_tokens(env, commands)
    queue, sampler = Queue(url), WaitSampler(url)
    phases: dict[str, Any] = {}
    try:
        with server(env, instance / "server.log") as (port, pid):
            path = "/api/v1/offices/amol/tickets"

            def kiosks(n: int, services: list[str]) -> list[list[bytes]]:
                return [
                    [post(port, path, tokens[f"kiosk{i}"], {"service": s}) for s in services]
                    for i in range(n)
                ]

            def run(name: str, per_client: list[list[bytes]], ok: int, before: Any) -> None:
                print(f"  {label}: {name}", flush=True)
                with sampler:
                    phase = http_load.run_phase(
                        port, pid, per_client, ok, http_load.SEGMENTS, before
                    )
                phase["waits"] = sampler.shares()
                phases[name] = phase

            def reset(_k: int, _rate: float | None) -> dict[str, Any]:
                return queue.reset()

            # One round of each first: connections, statement plans, caches.
            for requests in kiosks(1, SERVICES):
                for request in requests:
                    http_load.Connection(port).request(request)
            one = [SERVICES[0]]
            run("issue, 1 kiosk, one service", kiosks(1, one), 201, reset)
            run("issue, 8 kiosks, one service", kiosks(KIOSKS, one), 201, reset)
            spread = [SERVICES[i % 9 :] + SERVICES[: i % 9] for i in range(KIOSKS)]
            run(
                "issue, 8 kiosks, nine services",
                [kiosks(KIOSKS, s)[i] for i, s in enumerate(spread)],
                201,
                reset,
            )
            queue.reset()
            # Tens of thousands of tickets in a minute, each cancelled again: vacuumed and
            # analysed, as autovacuum does after a busy day's worth of them.
            sampler.connection.execute("VACUUM ANALYZE")
            clerks = [
                [post(port, f"/api/v1/counters/{counters[n]}/next", tokens[f"clerk{n}"])]
                for n in range(1, CLERKS + 1)
            ]
            top_up = TopUp(queue, [counters[n] for n in range(1, CLERKS + 1)], 400.0)
            run("call next, 8 clerks", clerks, 200, top_up)
    finally:
        queue.close()
        sampler.close()
    return phases


def main() -> int:
    benchlib.terminate_on_sigterm()
    variants = {}
    before = os.environ.get("BENCH_CONTENTION_BEFORE")
    if before:
        variants["before"] = Path(before).resolve()
    variants["now"] = benchlib.REPO_ROOT
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as folder:
        for label, code in variants.items():
            with benchlib.postgres_database("nobat_bench_contention") as url:
                results[label] = measure(label, code, url, Path(folder))
    return _report(results)


def _report(results: dict[str, dict[str, Any]]) -> int:
    columns = ["phase", "version", "per s", "p50 ms", "p99 ms", "errors", "Lock:* share"]
    rows = []
    for name in results["now"]:
        for label, phases in results.items():
            phase = phases[name]
            rows.append(
                [
                    name,
                    label,
                    phase["per_second"],
                    phase["p50_ms"],
                    phase["p99_ms"],
                    phase["errors"],
                    phase["waits"]["lock_share"],
                ]
            )
    now = results["now"]
    targets = [
        _target(now, phase, limit)
        for phase, limit in (
            ("issue, 8 kiosks, one service", TARGET_SINGLE_P99_MS),
            ("issue, 8 kiosks, nine services", TARGET_SPREAD_P99_MS),
            ("call next, 8 clerks", TARGET_NEXT_P99_MS),
        )
    ]
    if "before" in results:
        was = results["before"]["issue, 8 kiosks, one service"]["per_second"]
        rate = now["issue, 8 kiosks, one service"]["per_second"]
        targets.append(
            {
                "name": "issue, 8 kiosks, one service: rate against the previous version",
                "target": "≥ 2×",
                "value": round(rate / was, 2) if was else None,
                "pass": bool(was) and rate >= 2 * was,
            }
        )
    benchlib.write_result(
        "issue_contention",
        {
            "title": "PostgreSQL: issue and call next under contention",
            "date": benchlib.now_iso(),
            "machine": benchlib.machine(),
            "tables": [
                {
                    "title": "keep-alive clients through nobat serve (gevent), PostgreSQL",
                    "columns": columns,
                    "rows": rows,
                    "notes": [
                        "Lock:* share: of pg_stat_activity samples of active backends every "
                        f"{SAMPLE_EVERY * 1000:.0f} ms during the measured window",
                        "kiosks with --printer none; the queue emptied between parts of an "
                        "issue phase and topped up between parts of call next",
                    ],
                }
            ],
            "targets": targets,
            "data": results,
        },
    )
    for target in targets:
        print(("PASS" if target["pass"] else "MISS"), target["name"], target["value"])
    return 0


def _target(now: dict[str, Any], phase: str, limit: float) -> dict[str, Any]:
    value = now[phase]["p99_ms"]
    return {
        "name": f"{phase}: p99",
        "target": f"< {limit:.0f} ms",
        "value": value,
        "pass": value < limit,
    }


if __name__ == "__main__":
    sys.exit(main())
