"""Bulk queues and history for the benchmarks: thousands of tickets and their events
written as rows (COPY on PostgreSQL) in a second, where issuing them through the engine
would take minutes. Set-up only, never measured, while nothing else writes."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select, update

from server.models import DailySequence, EventType, Office, Service, Ticket, TicketEvent
from server.models import TicketStatus as S


def _token() -> str:
    return secrets.token_urlsafe(24)


_TICKET_COLUMNS = (
    "id", "office_id", "service_id", "business_date", "sequence", "number", "priority",
    "status", "issued_at", "queued_at", "called_at", "started_at", "finished_at",
    "counter_id", "clerk_id", "recall_count", "public_token",
)  # fmt: skip
_EVENT_COLUMNS = ("office_id", "ticket_id", "type", "at", "counter_id", "actor_id", "seq")


def bulk_insert(
    connection: Any, tickets: list[dict[str, Any]], events: list[dict[str, Any]]
) -> None:
    """Insert ticket and event rows (tickets carry explicit ids) as fast as the database allows.

    PostgreSQL: COPY (SQLAlchemy's multi-row INSERTs spend most of their time building SQL
    in Python), then move the id sequence past the new rows. SQLite: plain executemany.
    """

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
        bulk_insert(connection, tickets, events)
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
        bulk_insert(connection, tickets, events)
        connection.execute(
            update(Office).where(Office.id == office_id).values(event_seq=last_seq + len(events))
        )
    return count
