"""The HTTP bench's load generator: one process per client, each with one keep-alive
connection sending prebuilt requests, only requests started inside the window counted.

Kept apart from ``bench_http.py`` (the scenario and its report); ``profile_server.py``
drives the same phases under a profiler.
"""

from __future__ import annotations

import array
import contextlib
import multiprocessing as mp
import os
import signal
import socket
import time
from collections import Counter as Tally
from collections.abc import Callable
from typing import Any

import benchlib

HOST = "127.0.0.1"
WARMUP = float(os.environ.get("BENCH_HTTP_WARMUP", "2"))
DURATION = float(os.environ.get("BENCH_HTTP_SECONDS", "10"))
# Database phases run in parts; between parts the queue is reset (issue) or topped up
# (call next), so that its depth stays what a busy office sees rather than growing
# to tens of thousands (call next on PostgreSQL costs more with every waiting ticket).
SEGMENTS = int(os.environ.get("BENCH_HTTP_SEGMENTS", "5"))
SEGMENT_WARMUP = 0.3


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
