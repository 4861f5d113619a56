"""The sockets bench's report: its tables, notes and targets from what was measured
(whatever was, also after a failed phase), in the shape ``benchlib.write_result`` writes."""

from __future__ import annotations

import time
from typing import Any

import benchlib
import sockets_client
from sockets_rig import (
    CONNECT_LIMIT,
    LIGHT_RATE,
    PER_SERVER,
    RATE,
    SERVERS,
    TARGET_P99_MS,
    THREADS,
)


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
