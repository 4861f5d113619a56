"""Profile one kind of request in-process: the app behind Flask's test client, one thread.

Not run by ``run.py``: a tool for finding where a request's time goes, without HTTP,
threads or the GIL in the way. The instance is prepared exactly as ``bench_http.py``
prepares it (``nobat db upgrade``, ``seed-demo``, ``token create``).

    .venv/bin/python bench/profile_app.py issue [--db postgresql] [-n 2000] [--mode MODE]

Kinds: ``health``, ``issue`` (kiosk token with the default preview printer),
``issue-noprint`` (kiosk token with ``--printer none``), ``next`` (clerk1 at counter 1).
Modes:

- ``cpu`` (default): CPU and wall milliseconds per request, nothing else;
- ``pyspy``: sample this process with py-spy (``PYSPY=/path/to/py-spy``) and print
  each function's share, as ``profile_server.py`` does;
- ``cprofile``: deterministic profile (its overhead inflates SQLAlchemy's many small
  calls; prefer ``pyspy`` for shares).
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import os
import pstats
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchlib
import http_instance as h


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("kind", choices=["health", "issue", "issue-noprint", "next"])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("-n", type=int, default=2000)
    parser.add_argument("--mode", choices=["cpu", "pyspy", "cprofile"], default="cpu")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--out", default="/tmp/nobat-profile-app.collapsed")
    parser.add_argument(
        "--statements",
        action="store_true",
        help="count and time the SQL of each request (not the engine's Prepared statements)",
    )
    args = parser.parse_args()
    benchlib.terminate_on_sigterm()
    with contextlib.ExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="nobat-profile-")))
        if args.db == "sqlite":
            url = f"sqlite:///{work / 'nobat.sqlite3'}"
        else:
            url = stack.enter_context(benchlib.postgres_database("nobat_bench_profile"))
        run(args, url, work, stack)
    return 0


def run(args: argparse.Namespace, url: str, work: Path, stack: contextlib.ExitStack) -> None:
    env = h.cli_env(work, url)
    h.nobat(env, "db", "upgrade")
    h.nobat(env, "seed-demo")
    counters = h.add_clerks(url)
    tokens = h.create_tokens(
        env,
        {
            "kiosk": ["--device", "kiosk", "--office", "amol"],
            "kiosk-noprint": ["--device", "kiosk", "--office", "amol", "--printer", "none"],
            "clerk1": ["--user", "clerk1"],
        },
    )
    queue = h.Queue(url)
    stack.callback(queue.close)
    # The app reads its configuration from the environment when first imported.
    os.environ.update({k: v for k, v in env.items() if k.startswith("NOBAT_")})
    from server.app import create_app

    app = create_app()
    client = app.test_client()

    def bearer(name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens[name]}"}

    counter = counters[1]

    def health(_i: int) -> None:
        assert client.get("/api/v1/health").status_code == 200

    def issue_with(token: str):
        def issue(i: int) -> None:
            r = client.post(
                "/api/v1/offices/amol/tickets",
                json={"service": h.SERVICES[i % len(h.SERVICES)]},
                headers=bearer(token),
            )
            assert r.status_code == 201, r.data

        return issue

    def call(_i: int) -> None:
        r = client.post(f"/api/v1/counters/{counter}/next", headers=bearer("clerk1"))
        assert r.status_code == 200, (r.status_code, r.data)

    op = {
        "health": health,
        "issue": issue_with("kiosk"),
        "issue-noprint": issue_with("kiosk-noprint"),
        "next": call,
    }[args.kind]
    warm = min(200, args.n)
    if args.kind == "next":
        queue.top_up([counter], args.n + warm + 50)
    for i in range(warm):
        op(i)
    wait_idle(queue)
    if args.kind.startswith("issue"):
        queue.reset()

    statements = watch_statements(app) if args.statements else None
    profiler = cProfile.Profile() if args.mode == "cprofile" else None
    spy = start_pyspy(args.out) if args.mode == "pyspy" else None
    cpu0, t0 = time.process_time(), time.perf_counter()
    if profiler:
        profiler.enable()
    for i in range(args.n):
        op(i)
    if profiler:
        profiler.disable()
    wall = time.perf_counter() - t0
    wait_idle(queue)  # work handed to background threads (printing) is part of the cost
    cpu = time.process_time() - cpu0
    if spy is not None:
        spy.send_signal(signal.SIGINT)
        spy.wait(timeout=60)
    print(
        f"{args.kind} on {args.db}: {args.n} requests, {1000 * wall / args.n:.2f} ms wall and "
        f"{1000 * cpu / args.n:.2f} ms CPU each (all threads of this process, background "
        f"work included{', under cProfile' if profiler else ''})"
    )
    if statements is not None:
        print(f"\nSQL per request ({args.n} requests; time from send to result, in ms):")
        total_n = sum(len(v) for v in statements.values())
        total_t = sum(sum(v) for v in statements.values())
        print(f"{total_n / args.n:6.2f} statements, {1000 * total_t / args.n:7.3f} ms in all")
        for sql, times in sorted(statements.items(), key=lambda kv: -sum(kv[1])):
            print(
                f"{len(times) / args.n:6.2f} × {1000 * sum(times) / len(times):7.3f} ms  "
                f"{sql[:110]}"
            )
    if profiler:
        print_cprofile(profiler, args.top)
    if spy is not None:
        import profile_server

        profile_server.summarize(Path(args.out), args.top)


def watch_statements(app: object) -> dict[str, list[float]]:
    """Record every statement the app's engine sends, with how long it took."""
    from sqlalchemy import event

    engine = app.extensions["nobat.db"].engine  # type: ignore[attr-defined]
    seen: dict[str, list[float]] = {}

    @event.listens_for(engine, "before_cursor_execute")
    def _before(conn, _cursor, _sql, _params, _context, _many) -> None:
        conn.info["nobat.bench.t0"] = time.perf_counter()

    @event.listens_for(engine, "after_cursor_execute")
    def _after(conn, _cursor, sql, _params, _context, _many) -> None:
        key = " ".join(sql.split())
        seen.setdefault(key, []).append(time.perf_counter() - conn.info.pop("nobat.bench.t0"))

    @event.listens_for(engine, "commit")
    def _commit(conn) -> None:
        seen.setdefault("COMMIT (count only)", []).append(0.0)

    return seen


def wait_idle(queue: h.Queue, limit: float = 60.0) -> None:
    """Until every print job is printed and this process's background threads are idle.

    Tickets are rendered in a child process, whose backlog this process waits for
    without using CPU: its own CPU alone would say idle too early (and the temporary
    directory would be removed while previews are still being written).
    """
    started = time.monotonic()
    for _ in range(int(limit / 0.2) + 1):
        before = time.process_time()
        time.sleep(0.2)
        idle = time.process_time() - before < 0.01 and not queue.unprinted()
        if idle or time.monotonic() - started > limit:
            return


def start_pyspy(out: str) -> subprocess.Popen:
    from profile_server import find_pyspy

    spy = subprocess.Popen(
        [find_pyspy(), "record", "--pid", str(os.getpid()), "--rate", "500", "--format", "raw",
         "--output", out, "--nonblocking", "--duration", "600"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    time.sleep(1.0)  # let it attach
    return spy


def print_cprofile(profiler: cProfile.Profile, top: int) -> None:
    for key in ("tottime", "cumulative"):
        buf = io.StringIO()
        pstats.Stats(profiler, stream=buf).sort_stats(key).print_stats(top)
        lines = buf.getvalue().splitlines()
        start = next(i for i, line in enumerate(lines) if line.strip().startswith("ncalls"))
        print(f"\n=== by {key} ===")
        print("\n".join(lines[start : start + top + 1]))


if __name__ == "__main__":
    sys.exit(main())
