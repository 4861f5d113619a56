"""Run every benchmark and summarise them: what ``make bench`` runs.

Runs each ``bench/bench_*.py`` in turn as its own process (each writes its JSON
into ``bench/results/``), then writes ``bench/results/SUMMARY.md``: the date, the
machine, every table of figures and every target with pass or fail.

Exits non-zero only when a benchmark crashes or overruns its time limit; a missed
target is reported in the summary, not treated as a failure of the run.

    .venv/bin/python bench/run.py [NAME ...]   # e.g. run.py engine http
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchlib

# Seconds each bench may take before it is stopped (a safety net, not a budget).
TIME_LIMITS = {"bench_engine": 300, "bench_http": 420, "bench_stats": 1200}
DEFAULT_TIME_LIMIT = 300
GRACE = 20
# Seconds to wait, at most, for other work on the machine to finish before each bench.
QUIET_WAIT = float(os.environ.get("BENCH_QUIET_WAIT", "30"))


def run_one(script: Path) -> dict[str, Any]:
    limit = int(
        os.environ.get("BENCH_TIME_LIMIT", TIME_LIMITS.get(script.stem, DEFAULT_TIME_LIMIT))
    )
    quiet = benchlib.wait_for_quiet(QUIET_WAIT)
    print(
        f"\n=== {script.name} (limit {limit} s; machine busy {quiet['busy_cores']} cores "
        f"after waiting {quiet['waited_seconds']} s for it to quiet down) ===",
        flush=True,
    )
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, str(script)], cwd=benchlib.REPO_ROOT, start_new_session=True
    )
    status = "ok"
    try:
        proc.wait(timeout=limit)
    except subprocess.TimeoutExpired:
        status = "timeout"
        proc.send_signal(signal.SIGTERM)  # the bench cleans up (servers, databases) on SIGTERM
        try:
            proc.wait(timeout=GRACE)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
    except KeyboardInterrupt:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=GRACE)
        raise
    if status == "ok" and proc.returncode != 0:
        status = f"crashed (exit {proc.returncode})"
    seconds = round(time.monotonic() - started, 1)
    print(f"=== {script.name}: {status} in {seconds} s ===", flush=True)
    return {
        "script": script.name,
        "status": status,
        "seconds": seconds,
        "busy_before": quiet["busy_cores"],
    }


def git_state() -> str:
    """HEAD and whether the tree had local changes (read-only git commands)."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=benchlib.REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "--", "server"],
            cwd=benchlib.REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.splitlines()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{head}" + (f" with {len(dirty)} modified file(s) under server/" if dirty else "")


# --- SUMMARY.md ---------------------------------------------------------------------------------


def cell(value: Any) -> str:
    return benchlib.fmt(value, 2).replace("|", "\\|")


def table_md(columns: list[str], rows: list[list[Any]]) -> list[str]:
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return lines


def flatten(value: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """Scalar leaves of a JSON document as (path, value), for results of unknown shape."""
    if isinstance(value, dict):
        out = []
        for key, inner in value.items():
            out += flatten(inner, f"{prefix}.{key}" if prefix else str(key))
        return out
    if isinstance(value, list):
        if len(value) > 20 or not value:
            return [(prefix, f"[{len(value)} items]")]
        out = []
        for i, inner in enumerate(value):
            out += flatten(inner, f"{prefix}[{i}]")
        return out
    return [(prefix, value)]


def summary(runs: list[dict[str, Any]], started_wall: float, load: tuple[float, ...]) -> str:
    m = benchlib.machine()
    lines = [
        "# Nobat benchmarks",
        "",
        f"- date: {benchlib.now_iso()}",
        f"- machine: {m['cores']} cores ({m['cpu']}), {m['platform']}",
        f"- Python {m['python']} ({m['implementation']}), SQLite {m['sqlite']}, "
        f"PostgreSQL {m['postgresql'] or 'not reachable'}",
        f"- code: {git_state()}",
        f"- load average at start: {', '.join(f'{x:.2f}' for x in load)}; at the end: "
        f"{', '.join(f'{x:.2f}' for x in os.getloadavg())} (other work on the machine "
        "competes with the benchmarks)",
        "",
        "## Runs",
        "",
    ]
    lines += table_md(
        ["bench", "status", "seconds", "CPU cores busy before it started"],
        [[r["script"], r["status"], r["seconds"], r["busy_before"]] for r in runs],
    )
    all_targets: list[tuple[str, dict[str, Any]]] = []
    results = sorted(benchlib.RESULTS_DIR.glob("*.json"))
    for path in results:
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError) as error:
            lines += ["", f"## {path.name}", "", f"unreadable: {error}"]
            continue
        stale = path.stat().st_mtime < started_wall
        title = data.get("title") if isinstance(data, dict) else None
        lines += ["", f"## {title or path.stem} (`{path.name}`)", ""]
        if stale:
            ran = f"bench_{path.stem}.py" in {r["script"] for r in runs}
            why = "its bench failed this time" if ran else "its bench was not part of this run"
            lines += [f"**From an earlier run ({why}).**", ""]
        if isinstance(data, dict) and data.get("date"):
            lines += [f"measured {data['date']}", ""]
        if isinstance(data, dict) and isinstance(data.get("tables"), list):
            for table in data["tables"]:
                lines += [f"### {table.get('title', '')}", ""]
                lines += table_md(table["columns"], table["rows"])
                lines += [""] + [f"- {note}" for note in table.get("notes", [])] + [""]
            for name, error in (data.get("errors") or {}).items():
                lines += [f"- {name}: {error}"]
        else:
            leaves = flatten(data)[:300]
            lines += table_md(["figure", "value"], [[k, v] for k, v in leaves])
        label = path.stem + (" (stale)" if stale else "")
        if isinstance(data, dict) and isinstance(data.get("targets"), list):
            all_targets += [(label, t) for t in data["targets"]]
        elif isinstance(data, dict) and isinstance(data.get("meets_target"), bool):
            wanted = ", ".join(f"{k} = {v}" for k, v in data.items() if k.startswith("target"))
            all_targets.append(
                (
                    label,
                    {
                        "name": path.stem,
                        "target": wanted or "its own target",
                        "value": "see its table",
                        "pass": data["meets_target"],
                    },
                )
            )
    lines += ["", "## Targets", ""]
    if all_targets:
        lines += table_md(
            ["bench", "target", "wanted", "measured", "result"],
            [
                [
                    bench,
                    t.get("name"),
                    t.get("target"),
                    t.get("value"),
                    "PASS" if t.get("pass") else "FAIL",
                ]
                for bench, t in all_targets
            ],
        )
        passed = sum(1 for _, t in all_targets if t.get("pass"))
        lines += ["", f"{passed} of {len(all_targets)} targets met."]
    else:
        lines += ["no targets reported"]
    return "\n".join(lines) + "\n"


def main() -> int:
    wanted = set(sys.argv[1:])
    scripts = sorted(benchlib.BENCH_DIR.glob("bench_*.py"))
    if wanted:
        scripts = [
            s for s in scripts if s.stem.removeprefix("bench_") in wanted or s.stem in wanted
        ]
    started_wall = time.time()
    load = os.getloadavg()
    benchlib.RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    runs = [run_one(script) for script in scripts]
    path = benchlib.RESULTS_DIR / "SUMMARY.md"
    path.write_text(summary(runs, started_wall, load))
    print(f"\nwrote {path}")
    failed = [r for r in runs if r["status"] != "ok"]
    for r in failed:
        print(f"FAILED: {r['script']}: {r['status']}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
