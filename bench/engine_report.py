"""The engine bench's report: the tables and targets of each database's throughput and of
the same commands against a large history, in the shape ``benchlib.write_result`` writes."""

from __future__ import annotations

import os
from typing import Any

import benchlib

# The bench's sizes, here because the report states them.
SECONDS = float(os.environ.get("BENCH_ENGINE_SECONDS", "2"))
HISTORY = int(os.environ.get("BENCH_ENGINE_HISTORY", "50000"))
# Events per old ticket (3 = issued, called, done); 1 keeps the set-up short on PostgreSQL,
# and no command reads old events.
HISTORY_EVENTS = int(os.environ.get("BENCH_ENGINE_HISTORY_EVENTS", "1"))
DEEP_QUEUE = 5000
ROUNDS = 8
PER_ROUND = 25


def _flat_target(
    name: str, wanted: str, base: dict[str, Any], loaded: dict[str, Any]
) -> dict[str, Any]:
    """Call next's p50 in ``loaded`` against ``base``: at most half as slow again."""
    before, after = base["call_next"]["p50_ms"], loaded["call_next"]["p50_ms"]
    ratio = round(after / before, 2) if before and after else None
    return {
        "name": name,
        "target": wanted,
        "value": f"{before} → {after} ms (×{ratio})",
        "pass": ratio is not None and ratio <= 1.5,
    }


def report(results: dict[str, Any], errors: dict[str, str]) -> dict[str, Any]:
    rows = []
    for name, r in results.items():
        t = r["throughput"]
        c = t["cycle"]
        rows.append(
            [
                name,
                "cycle: issue + call next (1 clerk)",
                c["per_second"],
                c["p50_ms"],
                c["p99_ms"],
                c["max_ms"],
                c["cpu_ms"],
                c["ops"],
                "≈1",
            ]
        )
        for part, label in (
            ("issue_part", "  of which issue"),
            ("call_part", "  of which call next"),
        ):
            rows.append(
                [
                    name,
                    label,
                    None,
                    c[part]["p50_ms"],
                    c[part]["p99_ms"],
                    c[part]["max_ms"],
                    None,
                    c["ops"],
                    "≈1",
                ]
            )
        i = t["issue"]
        rows.append(
            [
                name,
                "issue alone",
                i["per_second"],
                i["p50_ms"],
                i["p99_ms"],
                i["max_ms"],
                i["cpu_ms"],
                i["ops"],
                f"0→{i['waiting_after']:,}",
            ]
        )
        n = t["call_next"]
        rows.append(
            [
                name,
                "call next alone (4 counters)",
                n["per_second"],
                n["p50_ms"],
                n["p99_ms"],
                n["max_ms"],
                n["cpu_ms"],
                n["ops"],
                f"{n['waiting_before']:,}→{n['waiting_after']:,}",
            ]
        )
    history_rows = []
    targets = []
    for name, r in results.items():
        h = r["history"]
        for queue in ("short_queue", "deep_queue"):
            for b in h[queue].values():
                cn, iss = b["call_next"], b["issue"]
                history_rows.append(
                    [
                        name,
                        b["label"],
                        b["tickets_in_table"],
                        cn["p50_ms"],
                        cn["p99_ms"],
                        cn["cpu_ms"],
                        iss["p50_ms"],
                        iss["p99_ms"],
                        iss["cpu_ms"],
                    ]
                )
        fresh, old = h["short_queue"].values()
        deep = next(iter(h["deep_queue"].values()))
        targets.append(
            _flat_target(
                f"engine/{name}: call next does not grow with history",
                f"p50 with {HISTORY:,} old tickets ≤ 1.5 × p50 with none",
                fresh,
                old,
            )
        )
        targets.append(
            _flat_target(
                f"engine/{name}: call next does not grow with the queue",
                f"p50 with {DEEP_QUEUE:,} waiting ≤ 1.5 × p50 with ≤{PER_ROUND} waiting",
                fresh,
                deep,
            )
        )
    return {
        "bench": "engine",
        "title": "Queue engine in-process (no HTTP)",
        "date": benchlib.now_iso(),
        "machine": benchlib.machine(),
        "tables": [
            {
                "title": "Engine throughput: one session and one commit per command",
                "columns": [
                    "database",
                    "measure",
                    "ops/s",
                    "p50 ms",
                    "p99 ms",
                    "max ms",
                    "CPU ms/op",
                    "n",
                    "waiting",
                ],
                "rows": rows,
                "notes": [
                    "A cycle is two transactions: issue (kiosk) then call next at counter 1 by "
                    "clerk1, which completes the ticket it called in the previous cycle.",
                    "'waiting' is the waiting queue before→after the measure. CPU ms/op is the "
                    "bench process's own CPU (all of the work on SQLite; without the database "
                    "server's on PostgreSQL): less disturbed than times by other work on the "
                    "machine.",
                    "Machine CPU busy on average while each database ran (cores, of "
                    f"{os.cpu_count()}; the bench itself uses about one): "
                    + ", ".join(f"{n} {r.get('machine_busy_cores')}" for n, r in results.items())
                    + ".",
                ],
            },
            {
                "title": "Call next and issue against history and queue depth",
                "columns": [
                    "database",
                    "state",
                    "tickets in table",
                    "call p50 ms",
                    "call p99 ms",
                    "call CPU ms",
                    "issue p50 ms",
                    "issue p99 ms",
                    "issue CPU ms",
                ],
                "rows": history_rows,
                "notes": [
                    f"Two databases alike but for history: one gets {HISTORY:,} served "
                    f"tickets of previous business days (500 a day) with {HISTORY_EVENTS} "
                    "event(s) each. "
                    "PostgreSQL is ANALYZEd afterwards and again after the deep queue is "
                    "added (as autovacuum would, for a table that grew that much); SQLite "
                    "is not (the app never runs ANALYZE).",
                    f"Measured in alternation, {ROUNDS} rounds of {PER_ROUND} issues then "
                    f"{PER_ROUND} calls (counters 1–4 in turn) on each, so other load on the "
                    f"machine weighs on both alike; then again after bulk-adding {DEEP_QUEUE:,} "
                    "waiting tickets to each.",
                ],
            },
        ],
        "targets": targets,
        "errors": errors,
        "data": results,
    }
