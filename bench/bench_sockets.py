"""Socket.IO fan-out at scale: 2,000 wall displays on two gunicorn processes sharing Redis.

The scaled deployment as the multi-process tests start it (``harness/processes.py``):
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
import os
import sys
import tempfile
import time
import uuid
from collections import Counter as Tally
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchlib  # puts the repository root on sys.path
from sockets_report import report
from sockets_rig import (
    ASYNC_MODE,
    CLIENT_PROCESSES,
    CONNECT_LIMIT,
    CONNECT_TIMEOUT,
    COUNTERS,
    DRAIN_SECONDS,
    IDLE_SECONDS,
    LIGHT_RATE,
    LIGHT_SECONDS,
    PER_SERVER,
    RATE,
    RELEASE_TIMEOUT,
    SECONDS,
    SERVERS,
    STORM_TIMEOUT,
    THREADS,
    WARMUP_CALLS,
    Clerk,
    Clients,
    GilProfile,
    SocketCluster,
    connect_summary,
    cpu_split,
    find_redis_pid,
    left,
    make_office,
    run_calls,
    say,
    server_memory,
    wait_threads_below,
    worker_pids,
)


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
