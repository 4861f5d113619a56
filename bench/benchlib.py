"""What only the benchmarks share: their results and report (the one place that writes
``bench/results/*.json``), the machine, statistics. Servers, databases and bulk data come
from the ``harness`` package, which the tests use too.

Not a benchmark itself (``bench/run.py`` runs only ``bench_*.py``). Each bench script
puts ``bench/`` on ``sys.path`` and imports this module first: it puts the repository root
there, for ``harness`` and ``server``.
"""

from __future__ import annotations

import json
import math
import os
import platform
import signal
import sqlite3
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"

if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

POSTGRES_ADMIN_URL = os.environ.get(
    "NOBAT_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


# --- results and their report --------------------------------------------------------


def now_iso() -> str:
    return datetime.now(UTC).astimezone().isoformat(timespec="seconds")


def write_result(name: str, payload: dict[str, Any]) -> Path:
    """Write ``bench/results/<name>.json`` (atomically) and return its path.

    The common shape that ``run.py`` renders: ``title``, ``date``, ``machine``,
    ``tables`` (each ``{"title", "columns", "rows", "notes"}``), ``targets`` (each
    ``{"name", "target", "value", "pass"}``) and free-form ``data``.
    """
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(payload, indent=2, ensure_ascii=False, default=str) + "\n")
    tmp.replace(path)
    return path


def terminate_on_sigterm() -> None:
    """Turn SIGTERM (run.py's timeout) into SystemExit so ``finally`` blocks clean up."""

    def _raise(_signum: int, _frame: Any) -> None:
        raise SystemExit(f"terminated by signal {_signum}")

    signal.signal(signal.SIGTERM, _raise)


def print_report(payload: dict[str, Any], digits: int = 2) -> None:
    """A bench's tables (with their notes) and targets, as text on standard output."""
    for table in payload["tables"]:
        print(f"\n{table['title']}")
        print(" | ".join(table["columns"]))
        for row in table["rows"]:
            print(" | ".join(fmt(v, digits) for v in row))
        for note in table.get("notes", []):
            print(f"  {note}")
    if payload.get("targets"):
        print()
    for target in payload.get("targets", []):
        print(f"{'PASS' if target['pass'] else 'FAIL'} {target['name']}: {target['value']}")


# --- the machine ------------------------------------------------------------------------


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def postgres_version(url: str = POSTGRES_ADMIN_URL) -> str | None:
    try:
        from sqlalchemy import create_engine, text

        engine = create_engine(url, connect_args={"connect_timeout": 3})
        try:
            with engine.connect() as connection:
                return connection.execute(text("SHOW server_version")).scalar_one()
        finally:
            engine.dispose()
    except Exception:
        return None


def machine() -> dict[str, Any]:
    return {
        "cores": os.cpu_count(),
        "cpu": cpu_model(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": postgres_version(),
        "platform": platform.platform(),
    }


class CpuMeter:
    """Machine-wide CPU use between ``start`` and ``stop`` from /proc/stat (in cores busy)."""

    def __init__(self) -> None:
        self._start: tuple[float, float, float] | None = None

    @staticmethod
    def _read() -> tuple[float, float, float]:
        fields = [float(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0.0)
        return time.monotonic(), sum(fields), idle

    def start(self) -> None:
        try:
            self._start = self._read()
        except OSError:
            self._start = None

    def stop(self) -> float | None:
        """Cores busy on average (0..cpu_count) since ``start``."""
        if self._start is None:
            return None
        try:
            _t1, total1, idle1 = self._read()
        except OSError:
            return None
        _t0, total0, idle0 = self._start
        if total1 <= total0:
            return None
        return round((1 - (idle1 - idle0) / (total1 - total0)) * (os.cpu_count() or 1), 2)


def wait_for_quiet(
    max_seconds: float = 45.0, threshold: float = 0.5, sample: float = 1.0
) -> dict[str, float | None]:
    """Wait (bounded) until the machine's CPU use drops below ``threshold`` cores.

    Other work on a 2-core machine skews every figure; this gives it a chance to
    finish and records how busy the machine was when the bench started.
    """
    started = time.monotonic()
    busy = None
    for _ in range(int(max_seconds / sample) + 1):
        meter = CpuMeter()
        meter.start()
        time.sleep(sample)
        busy = meter.stop()
        if busy is None or busy < threshold or time.monotonic() - started >= max_seconds:
            break
    return {"busy_cores": busy, "waited_seconds": round(time.monotonic() - started, 1)}


def process_cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of a process (from /proc/<pid>/stat)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks = os.sysconf("SC_CLK_TCK")
        return (int(fields[11]) + int(fields[12])) / ticks
    except (OSError, ValueError, IndexError):
        return None


# --- statistics -------------------------------------------------------------------------


def percentile(sorted_values: Sequence[float], fraction: float) -> float | None:
    """Nearest-rank percentile of already sorted values."""
    if not sorted_values:
        return None
    rank = max(0, min(len(sorted_values) - 1, math.ceil(fraction * len(sorted_values)) - 1))
    return sorted_values[rank]


def latency_summary(seconds: Sequence[float]) -> dict[str, float | int | None]:
    """p50/p99/max/mean in milliseconds of latencies given in seconds."""
    values = sorted(seconds)

    def ms(value: float | None) -> float | None:
        return None if value is None else round(value * 1000, 3)

    return {
        "n": len(values),
        "mean_ms": ms(sum(values) / len(values)) if values else None,
        "p50_ms": ms(percentile(values, 0.50)),
        "p90_ms": ms(percentile(values, 0.90)),
        "p99_ms": ms(percentile(values, 0.99)),
        "max_ms": ms(values[-1]) if values else None,
    }


def fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


# --- databases --------------------------------------------------------------------------


@contextmanager
def postgres_database(prefix: str = "nobat_bench") -> Iterator[str]:
    """Create a uniquely named PostgreSQL database, yield its URL, drop it afterwards."""
    from harness.services import fresh_postgres_database

    yield from fresh_postgres_database(prefix, POSTGRES_ADMIN_URL)


def analyze(engine: Any) -> None:
    """Refresh planner statistics, as autovacuum / a periodic ANALYZE would in production."""
    from sqlalchemy import text

    with engine.begin() as connection:
        connection.execute(text("ANALYZE"))
