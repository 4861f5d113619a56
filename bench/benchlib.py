"""Helpers shared by the benchmarks: results files, the machine, databases, statistics.

Not a benchmark itself (``bench/run.py`` runs only ``bench_*.py``). Each bench script
puts the repository root on ``sys.path`` and imports this module from ``bench/``.
"""

from __future__ import annotations

import json
import math
import os
import platform
import secrets
import signal
import socket
import sqlite3
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
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


# --- results ----------------------------------------------------------------------------


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


# --- networking -------------------------------------------------------------------------


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


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- databases --------------------------------------------------------------------------


@contextmanager
def postgres_database(prefix: str = "nobat_bench") -> Iterator[str]:
    """Create a uniquely named PostgreSQL database, yield its URL, drop it afterwards."""
    from tests.services import fresh_postgres_database

    yield from fresh_postgres_database(prefix, POSTGRES_ADMIN_URL)


def analyze(engine: Any) -> None:
    """Refresh planner statistics, as autovacuum / a periodic ANALYZE would in production."""
    from sqlalchemy import text

    with engine.begin() as connection:
        connection.execute(text("ANALYZE"))


# --- bulk data (set-up only, never measured) ----------------------------------------------


def _token() -> str:
    return secrets.token_urlsafe(24)


_TICKET_COLUMNS = (
    "id", "office_id", "service_id", "business_date", "sequence", "number", "priority",
    "status", "issued_at", "queued_at", "called_at", "started_at", "finished_at",
    "counter_id", "clerk_id", "recall_count", "public_token",
)  # fmt: skip
_EVENT_COLUMNS = ("office_id", "ticket_id", "type", "at", "counter_id", "actor_id", "seq")


def _bulk_insert(
    connection: Any, tickets: list[dict[str, Any]], events: list[dict[str, Any]]
) -> None:
    """Insert ticket and event rows (tickets carry explicit ids) as fast as the database allows.

    PostgreSQL: COPY (SQLAlchemy's multi-row INSERTs spend most of their time building SQL
    in Python), then move the id sequence past the new rows. SQLite: plain executemany.
    """
    from sqlalchemy import insert

    from server.models import Ticket, TicketEvent

    if not tickets:
        return
    if connection.dialect.name == "postgresql":
        raw = connection.connection.driver_connection
        with raw.cursor() as cursor:
            for table, columns, rows in (
                ("tickets", _TICKET_COLUMNS, tickets),
                ("ticket_events", _EVENT_COLUMNS, events),
            ):
                with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row([_plain(row.get(c)) for c in columns])
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('tickets', 'id'), "
                "(SELECT max(id) FROM tickets))"
            )
    else:
        connection.execute(insert(Ticket.__table__), tickets)
        connection.execute(insert(TicketEvent.__table__), events)


def _plain(value: Any) -> Any:
    """Enum members as their stored strings (COPY bypasses SQLAlchemy's types)."""
    return value.value if hasattr(value, "value") and not isinstance(value, (int, str)) else value


def _next_ids(connection: Any, office_id: int) -> tuple[int, int]:
    """The highest ticket id and the office's last event number."""
    from sqlalchemy import func, select

    from server.models import Office, Ticket

    last_id = connection.execute(select(func.coalesce(func.max(Ticket.id), 0))).scalar_one()
    last_seq = connection.execute(
        select(Office.event_seq).where(Office.id == office_id)
    ).scalar_one()
    return last_id, last_seq


def spread(service_ids: Sequence[int], count: int) -> dict[int, int]:
    """``count`` tickets spread as evenly as can be over ``service_ids``."""
    counts = {sid: count // len(service_ids) for sid in service_ids}
    for sid in list(service_ids)[: count % len(service_ids)]:
        counts[sid] += 1
    return counts


def fill_queue(
    engine: Any,
    office_id: int,
    service_ids: Sequence[int] | dict[int, int],
    count: int,
    today: date,
) -> int:
    """Add ``count`` waiting tickets for ``today``, spread evenly over ``service_ids``
    (or, given a dict, that many tickets of each service; ``count`` is then ignored).

    Set-up only, while nothing else writes: bulk rows instead of ``engine.issue`` so
    that filling a queue of thousands takes a second. Numbers continue the same
    ``daily_sequences`` rows the engine bumps (later issues do not clash), and each
    ticket gets its ``issued`` event with the office's next sequence numbers.
    """
    from sqlalchemy import insert, select, update

    from server.models import DailySequence, EventType, Office, Service
    from server.models import TicketStatus as S

    if isinstance(service_ids, dict):
        per_service = {sid: n for sid, n in service_ids.items() if n > 0}
        service_ids = list(per_service)
        count = sum(per_service.values())
    else:
        per_service = spread(service_ids, count)
    if count <= 0:
        return 0
    with engine.begin() as connection:
        letters = dict(
            connection.execute(
                select(Service.id, Service.letter).where(Service.office_id == office_id)
            ).all()
        )
        cursor: dict[int, int] = {}
        for sid, n in per_service.items():
            last = connection.execute(
                select(DailySequence.last).where(
                    DailySequence.service_id == sid, DailySequence.business_date == today
                )
            ).scalar_one_or_none()
            if last is None:
                connection.execute(
                    insert(DailySequence).values(service_id=sid, business_date=today, last=n)
                )
            else:
                connection.execute(
                    update(DailySequence)
                    .where(DailySequence.service_id == sid, DailySequence.business_date == today)
                    .values(last=last + n)
                )
            cursor[sid] = (last or 0) + 1
        last_id, last_seq = _next_ids(connection, office_id)
        base = datetime.now(UTC)
        remaining = dict(per_service)
        tickets: list[dict[str, Any]] = []
        events: list[dict[str, Any]] = []
        for _round in range(count):
            if len(tickets) >= count:
                break
            for sid in service_ids:
                if remaining[sid] <= 0:
                    continue
                seq = cursor[sid]
                cursor[sid] += 1
                remaining[sid] -= 1
                at = base + timedelta(microseconds=len(tickets))
                tid = last_id + 1 + len(tickets)
                tickets.append(
                    {
                        "id": tid,
                        "office_id": office_id,
                        "service_id": sid,
                        "business_date": today,
                        "sequence": seq,
                        "number": f"{letters[sid]}-{seq:03d}",
                        "priority": False,
                        "status": S.WAITING,
                        "issued_at": at,
                        "queued_at": at,
                        "called_at": None,
                        "started_at": None,
                        "finished_at": None,
                        "counter_id": None,
                        "clerk_id": None,
                        "recall_count": 0,
                        "public_token": _token(),
                    }
                )
                events.append(
                    {
                        "office_id": office_id,
                        "ticket_id": tid,
                        "type": EventType.ISSUED,
                        "at": at,
                        "counter_id": None,
                        "actor_id": None,
                        "seq": last_seq + len(tickets),
                    }
                )
        _bulk_insert(connection, tickets, events)
        connection.execute(
            update(Office).where(Office.id == office_id).values(event_seq=last_seq + len(events))
        )
    return len(tickets)


def add_history(
    engine: Any,
    office_id: int,
    service_ids: Sequence[int],
    counter_ids: Sequence[int],
    clerk_ids: Sequence[int],
    count: int,
    today: date,
    *,
    per_day: int = 500,
    events_per_ticket: int = 3,
) -> int:
    """Add ``count`` served (``done``) tickets of previous business days with their events.

    Each old ticket gets its last ``events_per_ticket`` events of (issued, called,
    done), as the engine would have written them, so that the tables have the size
    of a busy office's few months of history. Set-up only, while nothing else writes.
    """
    from sqlalchemy import insert, select, update

    from server.models import DailySequence, EventType, Office, Service
    from server.models import TicketStatus as S

    with engine.begin() as connection:
        letters = dict(connection.execute(select(Service.id, Service.letter)).all())
        last_id, last_seq = _next_ids(connection, office_id)
        tickets: list[dict[str, Any]] = []
        events: list[dict[str, Any]] = []
        sequences: dict[tuple[int, date], int] = {}
        for i in range(count):
            day = today - timedelta(days=1 + i // per_day)
            sid = service_ids[i % len(service_ids)]
            seq = sequences.get((sid, day), 0) + 1
            sequences[(sid, day)] = seq
            # 08:00 in Tehran (04:30 UTC) plus a minute per ticket of the day.
            issued = datetime(day.year, day.month, day.day, 4, 30, tzinfo=UTC) + timedelta(
                seconds=60 * (i % per_day)
            )
            called = issued + timedelta(minutes=7)
            finished = called + timedelta(minutes=4)
            k = i % len(counter_ids)
            tid = last_id + 1 + i
            tickets.append(
                {
                    "id": tid,
                    "office_id": office_id,
                    "service_id": sid,
                    "business_date": day,
                    "sequence": seq,
                    "number": f"{letters[sid]}-{seq:03d}",
                    "priority": False,
                    "status": S.DONE,
                    "issued_at": issued,
                    "queued_at": issued,
                    "called_at": called,
                    "started_at": called,
                    "finished_at": finished,
                    "counter_id": counter_ids[k],
                    "clerk_id": clerk_ids[k],
                    "recall_count": 0,
                    "public_token": _token(),
                }
            )
            kinds = (
                (EventType.ISSUED, issued, None),
                (EventType.CALLED, called, counter_ids[k]),
                (EventType.DONE, finished, counter_ids[k]),
            )
            for kind, at, counter in kinds[-events_per_ticket:]:
                events.append(
                    {
                        "office_id": office_id,
                        "ticket_id": tid,
                        "type": kind,
                        "at": at,
                        "counter_id": counter,
                        "actor_id": clerk_ids[k] if counter else None,
                        "seq": last_seq + len(events) + 1,
                    }
                )
        connection.execute(
            insert(DailySequence),
            [{"service_id": s, "business_date": d, "last": n} for (s, d), n in sequences.items()],
        )
        _bulk_insert(connection, tickets, events)
        connection.execute(
            update(Office).where(Office.id == office_id).values(event_seq=last_seq + len(events))
        )
    return count
