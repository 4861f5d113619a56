"""Statistics: one busy office-month and a 500-office province-month, SQLite and PostgreSQL.

History is bulk-inserted (tickets with their called/started/finished times and each
counter's open, pause and close events), with four months of older history for the busy
office so that the cost is seen to follow the range, not the table. Targets (2 cores):
office-month < 1 s, province-month < 5 s. Also the XLSX export of the office-month.
"""

from __future__ import annotations

import os
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import benchlib
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from harness import builders, bulk
from server import stats
from server.database import Base, make_engine
from server.models import EventType, Office, Ticket, TicketStatus, User
from server.stats import exports

MONTH = (date(2025, 4, 21), date(2025, 5, 21))  # Ordibehesht 1404
BUSY_PER_DAY, PROVINCE_PER_DAY = 400, 40
PROVINCE_OFFICES = int(os.environ.get("BENCH_STATS_OFFICES", "500"))
# Older history of the busy office: the cost must follow the range asked, not the table.
HISTORY_DAYS = int(os.environ.get("BENCH_STATS_HISTORY_DAYS", "120"))
OUTCOMES = [TicketStatus.DONE] * 90 + [TicketStatus.NO_SHOW] * 6 + [TicketStatus.CANCELLED] * 4


def _offices(
    session: Session, count: int, prefix: str = "o", desks: int = 4
) -> list[tuple[int, list[int], list[int], list[int]]]:
    made = []
    for n in range(count):
        office = builders.office(session, f"{prefix}{n:03d}")
        counters = [builders.counter(session, office, k, {"civil": 1}) for k in range(1, desks + 1)]
        clerks = [
            User(username=f"{prefix}{n}c{k}", password_hash="x", role="clerk", office_id=office.id)
            for k in range(desks)
        ]
        session.add_all(clerks)
        session.flush()
        made.append(
            (
                office.id,
                [s.id for s in office.services],
                [c.id for c in counters],
                [u.id for u in clerks],
            )
        )
    session.commit()
    return made


def _fill(engine: Any, offices: list[Any], first: date, last: date, per_day: int, seed: int) -> int:
    """Bulk rows for each office and day: tickets through the day, counters open 8–15 h."""
    rng = random.Random(seed)
    tickets, events = [], []
    with engine.connect() as connection:
        next_id = 1 + (connection.execute(select(func.max(Ticket.id))).scalar() or 0)
    day = first
    while day <= last:
        base = datetime(day.year, day.month, day.day, 4, 30, tzinfo=UTC)  # 08:00 Tehran
        for office_id, services, counters, clerks in offices:
            for counter, clerk in zip(counters, clerks, strict=True):
                for detail, hours in (
                    ("open", 0),
                    ("paused:prayer", 4),
                    ("open", 4.5),
                    ("closed", 7),
                ):
                    events.append(
                        _event(office_id, counter, clerk, base + timedelta(hours=hours), detail)
                    )
            for i in range(per_day):
                issued = base + timedelta(seconds=i * 25200 // per_day)
                status = rng.choice(OUTCOMES)
                called = (
                    None
                    if status is TicketStatus.CANCELLED
                    else issued + timedelta(seconds=rng.randint(30, 1800))
                )
                k = i % len(counters)
                tickets.append(
                    {
                        "id": next_id,
                        "office_id": office_id,
                        "service_id": services[i % 3],
                        "business_date": day,
                        "sequence": i + 1,
                        "number": f"A-{i + 1:03d}",
                        "priority": False,
                        "status": status,
                        "issued_at": issued,
                        "queued_at": issued,
                        "called_at": called,
                        "started_at": called + timedelta(seconds=20)
                        if status is TicketStatus.DONE
                        else None,
                        "finished_at": (called or issued) + timedelta(seconds=rng.randint(60, 600)),
                        "counter_id": counters[k] if called else None,
                        "clerk_id": clerks[k] if called else None,
                        "recall_count": 0,
                        "public_token": f"t{next_id}",
                    }
                )
                next_id += 1
        day += timedelta(days=1)
    with engine.begin() as connection:
        bulk.bulk_insert(connection, tickets, events)
    return len(tickets)


def _event(office_id: int, counter: int, clerk: int, at: datetime, detail: str) -> dict[str, Any]:
    return {
        "office_id": office_id,
        "ticket_id": None,
        "type": EventType.COUNTER,
        "at": at,
        "counter_id": counter,
        "actor_id": clerk,
        "seq": 0,
        "detail": detail,
    }


def _timed(
    engine: Any, codes: list[str], by: str | None, repeat: int = 3, export: bool = False
) -> float:
    """Best of ``repeat`` wall-clock seconds for one report (totals, or grouped ``by``)."""
    best = float("inf")
    for _ in range(repeat):
        with Session(engine) as session:
            found = session.scalars(select(Office).where(Office.code.in_(codes))).all()
            scope = stats.Scope(
                [
                    stats.OfficeInScope(o.id, o.code, o.name_fa, o.name_en, o.timezone)
                    for o in found
                ],
                stats.DateRange(*MONTH),
            )
            started = time.perf_counter()
            result = stats.report(session, scope, by, datetime(2025, 6, 1, tzinfo=UTC))
            if export:
                exports.as_xlsx(exports.table(result, by, False), False)
            best = min(best, time.perf_counter() - started)
    return best


def run(url: str) -> dict[str, float]:
    """Fill one database and time the reports on it."""
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        busy = _offices(session, 1)
    _fill(engine, busy, MONTH[0] - timedelta(days=HISTORY_DAYS), MONTH[1], BUSY_PER_DAY, 1)
    if engine.dialect.name == "postgresql":
        benchlib.analyze(engine)
    groupings = (None, "day", "service", "clerk", "weekday_hour")
    figures = {f"office-month {by or 'totals'}": _timed(engine, ["o000"], by) for by in groupings}
    figures["office-month XLSX by day"] = _timed(engine, ["o000"], "day", export=True)
    with Session(engine) as session:
        province = _offices(session, PROVINCE_OFFICES, prefix="p", desks=2)
    _fill(engine, province, *MONTH, PROVINCE_PER_DAY, 2)
    if engine.dialect.name == "postgresql":
        benchlib.analyze(engine)
    codes = [f"p{n:03d}" for n in range(PROVINCE_OFFICES)]
    figures["province-month totals"] = _timed(engine, codes, None, 1)
    figures["province-month by office"] = _timed(engine, codes, "office", 1)
    engine.dispose()
    return figures


def main() -> None:
    benchlib.terminate_on_sigterm()
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as folder:
        results["sqlite"] = run(f"sqlite:///{Path(folder) / 'stats.sqlite3'}")
    with benchlib.postgres_database("nobat_bench_stats") as url:
        results["postgresql"] = run(url)
    rows = [
        [name, round(results["sqlite"][name], 3), round(results["postgresql"][name], 3)]
        for name in results["sqlite"]
    ]
    targets = [
        {
            "name": f"office-month totals, {db}",
            "target": "< 1 s",
            "value": results[db]["office-month totals"],
            "pass": results[db]["office-month totals"] < 1,
        }
        for db in results
    ] + [
        {
            "name": f"province-month by office, {db}",
            "target": "< 5 s",
            "value": results[db]["province-month by office"],
            "pass": results[db]["province-month by office"] < 5,
        }
        for db in results
    ]
    payload = {
        "title": "Statistics: office-month and province-month",
        "date": benchlib.now_iso(),
        "machine": benchlib.machine(),
        "tables": [
            {
                "title": "seconds per report (best of 3; province: one run)",
                "columns": ["report", "SQLite", "PostgreSQL"],
                "rows": rows,
                "notes": [
                    f"busy office: {BUSY_PER_DAY} tickets a day, {HISTORY_DAYS} days of older "
                    f"history; province: {PROVINCE_OFFICES} offices × {PROVINCE_PER_DAY} tickets "
                    f"a day; month {MONTH[0]}..{MONTH[1]}"
                ],
            }
        ],
        "targets": targets,
        "data": results,
    }
    benchlib.write_result("stats", payload)
    benchlib.print_report(payload)


if __name__ == "__main__":
    sys.exit(main())
