"""Profile the served app under load with py-spy (sampling the gunicorn worker).

Not run by ``run.py``: a tool for finding where a request's time goes in the real
server. py-spy is not a project dependency; install it in a throwaway venv, e.g.

    python3 -m venv /tmp/pyspy && /tmp/pyspy/bin/pip install py-spy
    PYSPY=/tmp/pyspy/bin/py-spy .venv/bin/python bench/profile_server.py issue --clients 8

It prepares a SQLite (or ``--db postgresql``) instance exactly as ``bench_http.py``
does, starts ``nobat serve``, drives one kind of request with N clients and records
the worker for ``--seconds``. It prints the share of samples (of the worker's
request threads, idle excluded) spent in each function, inclusive and own, and
keeps the collapsed stacks (``--out``, for flamegraph.pl or speedscope).

By default only the thread holding the GIL is sampled, so the shares are shares of
the worker's Python CPU time; ``--wall`` samples every request thread, so the
shares include time spent waiting (for the GIL, for SQLite's write lock, for I/O).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_http
import benchlib
import http_instance as h
import http_load


def find_pyspy() -> str:
    for candidate in (os.environ.get("PYSPY"), shutil.which("py-spy"), "/tmp/prof-venv/bin/py-spy"):
        if candidate and Path(candidate).exists():
            return candidate
    raise SystemExit("py-spy not found: set PYSPY=/path/to/py-spy")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("kind", choices=["health", "issue", "next"])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--rate", type=int, default=250, help="py-spy samples per second")
    parser.add_argument("--top", type=int, default=45)
    parser.add_argument("--out", default="/tmp/nobat-profile.collapsed")
    parser.add_argument("--native", action="store_true", help="also sample C frames")
    parser.add_argument(
        "--noprint", action="store_true", help="issue with a kiosk token of --printer none"
    )
    parser.add_argument(
        "--wall",
        action="store_true",
        help="sample every request thread (waits included) instead of only the GIL holder",
    )
    args = parser.parse_args()
    pyspy = find_pyspy()
    benchlib.terminate_on_sigterm()
    http_load.WARMUP = 2.0
    http_load.DURATION = args.seconds + 2.0

    with contextlib.ExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="nobat-pyspy-")))
        if args.db == "sqlite":
            url = f"sqlite:///{work / 'nobat.sqlite3'}"
        else:
            url = stack.enter_context(benchlib.postgres_database("nobat_bench_pyspy"))
        instance = work / "instance"
        instance.mkdir()
        env = h.cli_env(instance, url)
        h.nobat(env, "db", "upgrade")
        h.nobat(env, "seed-demo")
        counters = h.add_clerks(url)
        commands = {"kiosk": ["--device", "kiosk", "--office", "amol"]}
        if args.noprint:
            commands["kiosk"] += ["--printer", "none"]
        commands.update({f"clerk{n}": ["--user", f"clerk{n}"] for n in range(1, h.CLERKS + 1)})
        tokens = h.create_tokens(env, commands)
        queue = h.Queue(url)
        stack.callback(queue.close)
        port, pid = stack.enter_context(h.server(env, instance / "server.log"))
        kiosk = [
            h.post(port, "/api/v1/offices/amol/tickets", tokens["kiosk"], {"service": s})
            for s in h.SERVICES
        ]
        clerk = [
            h.post(port, f"/api/v1/counters/{counters[n]}/next", tokens[f"clerk{n}"])
            for n in range(1, h.CLERKS + 1)
        ]
        bench_http.warm_up(port, kiosk, kiosk, clerk)
        if args.kind == "health":
            per_client = [[h.get(port, "/api/v1/health")]] * args.clients
            ok = 200
        elif args.kind == "issue":
            per_client = [kiosk[i % 9 :] + kiosk[: i % 9] for i in range(args.clients)]
            ok = 201
        else:
            per_client = [[clerk[i % len(clerk)]] for i in range(args.clients)]
            ok = 200
        top_up = h.TopUp(queue, [counters[i % h.CLERKS + 1] for i in range(args.clients)], 600.0)

        def prepare(k: int, rate: float | None) -> dict:
            if args.kind == "issue":
                return queue.reset()
            if args.kind == "next":
                return top_up(k, rate)
            return {}

        result: dict = {}
        load = threading.Thread(
            target=lambda: result.update(
                http_load.run_phase(port, pid, per_client, ok, http_load.SEGMENTS, prepare)
            ),
            daemon=True,
        )
        load.start()
        time.sleep(http_load.WARMUP + 1.0)
        command = [
            pyspy,
            "record",
            "--pid",
            str(pid),
            "--duration",
            str(int(args.seconds)),
            "--rate",
            str(args.rate),
            "--format",
            "raw",
            "--output",
            args.out,
        ]
        if args.native:
            command.append("--native")
        else:  # sample without stopping the process; native stacks need it stopped
            command.append("--nonblocking")
        if not args.wall:
            command.append("--gil")
        done = subprocess.run(command, capture_output=True, text=True, timeout=args.seconds + 60)
        if done.returncode != 0:
            raise SystemExit(f"py-spy failed: {done.stderr[-3000:]}")
        load.join(timeout=args.seconds + 60)
        print(
            f"{args.kind} × {args.clients} on {args.db}: {result.get('per_second')} req/s, "
            f"p50 {result.get('p50_ms')} ms, p90 {result.get('p90_ms')} ms, "
            f"p99 {result.get('p99_ms')} ms, max {result.get('max_ms')} ms, "
            f"server {result.get('server_cores')} cores "
            f"({'wall-clock samples' if args.wall else 'GIL-holder samples'})"
        )
        summarize(Path(args.out), args.top)
    return 0


def function_of(frame: str) -> str:
    """``name (file.py:123)`` → ``name (file.py)``: one entry per function, all lines."""
    name, sep, where = frame.strip().rpartition(" (")
    if not sep:
        return frame.strip()
    return f"{name} ({where.rsplit(':', 1)[0]})"


def summarize(path: Path, top: int) -> None:
    """Inclusive and own shares per function over the samples of request-handling stacks."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    lines_inclusive: Counter[str] = Counter()
    other: Counter[str] = Counter()
    total = 0
    idle = 0
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack:
            continue
        count = int(count_text)
        frames = stack.split(";")
        if not any(
            "wsgi_app (flask/app.py" in f or "handle_request (gunicorn" in f for f in frames
        ):
            idle += count
            seen_other = set()
            for frame in frames:
                name = function_of(frame)
                if name not in seen_other:
                    other[name] += count
                    seen_other.add(name)
            continue
        total += count
        seen = set()
        seen_lines = set()
        for frame in frames:
            name = function_of(frame)
            if name not in seen:
                inclusive[name] += count
                seen.add(name)
            if "(server/" in frame and frame not in seen_lines:
                lines_inclusive[frame.strip()] += count
                seen_lines.add(frame)
        own[function_of(frames[-1])] += count
    print(f"\n{idle} samples outside request handling (other threads; idle ones too with --wall)")
    for name, count in other.most_common(top // 2):
        print(f"{100 * count / max(idle, 1):6.1f}%  {name}")
    if not total:
        print("no request samples")
        return
    print(f"\n{total} request samples")
    print(f"\n=== inclusive share (top {top}) ===")
    for name, count in inclusive.most_common(top):
        print(f"{100 * count / total:6.1f}%  {name}")
    print(f"\n=== own share (top {top}) ===")
    for name, count in own.most_common(top):
        print(f"{100 * count / total:6.1f}%  {name}")
    project = [(n, c) for n, c in inclusive.items() if "(server/" in n]
    print("\n=== project functions, inclusive ===")
    for name, count in sorted(project, key=lambda nc: -nc[1])[:top]:
        print(f"{100 * count / total:6.1f}%  {name}")
    print("\n=== project lines, inclusive ===")
    for name, count in lines_inclusive.most_common(top):
        print(f"{100 * count / total:6.1f}%  {name}")


if __name__ == "__main__":
    sys.exit(main())
