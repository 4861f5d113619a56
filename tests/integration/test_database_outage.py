"""PostgreSQL drops every connection of the app, again and again, while kiosks issue and clerks
call: callers get a 503 to retry, never a 500, and no acknowledged ticket is lost or doubled.

Dropping the connections (``pg_terminate_backend``) is what the app sees of a database
restart, without restarting the server that other tests share.
"""

from __future__ import annotations

import threading
import time
from collections import Counter as Tally
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.engine import make_url

from server.extensions import db
from server.models import Counter, EventType, Office, Ticket, TicketEvent, TicketStatus
from tests.api.helpers import API
from tests.conftest import Tokens

pytestmark = [pytest.mark.slow]

KIOSKS = 4
TICKETS_PER_KIOSK = 30  # 120 tickets through about 900 dropped connections: 1 min here
OUTAGE, BACK = 0.3, 0.15  # seconds of dropping every 30 ms, then of a database that is back
PATIENCE = 60.0  # seconds a caller keeps retrying 503s: only a stuck app exhausts it


def _drop_connections_until(stop: threading.Event, url: str) -> int:
    """Terminate every other connection to the database every 30 ms for OUTAGE seconds, then
    leave it BACK seconds, as restarts do; how many were dropped.

    The quiet stretch is what lets a request through on a machine slow enough that no
    request finishes within 30 ms; without it the test measured the machine, not the app.
    """
    target = make_url(url)
    dropped = 0
    with psycopg.connect(
        host=target.host,
        port=target.port,
        user=target.username,
        dbname="postgres",
        autocommit=True,
    ) as admin:
        outage_ends = time.monotonic() + OUTAGE
        while not stop.wait(0.03):
            if time.monotonic() > outage_ends:
                if stop.wait(BACK):
                    break
                outage_ends = time.monotonic() + OUTAGE
            dropped += admin.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (target.database,),
            ).fetchone()[0]
    return dropped


def _until_answered(request, statuses: Tally) -> object:
    """Send until the app answers other than 503, as a kiosk or counter page retries."""
    give_up = time.monotonic() + PATIENCE
    while time.monotonic() < give_up:
        response = request()
        statuses[response.status_code] += 1
        if response.status_code != 503:
            return response
        assert response.headers["Retry-After"] == "1"
        assert response.get_json()["error"]["code"] == "unavailable"
        time.sleep(0.01)
    raise AssertionError("the app never came back")


@pytest.mark.parametrize(
    "db_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
def test_dropped_database_connections_lose_no_ticket_and_hand_none_out_twice(
    app: Flask, tokens: Tokens, db_url: str
):
    statuses: Tally = Tally()
    acknowledged: dict[str, int] = {}  # Idempotency-Key -> ticket id
    called: list[int] = []
    kiosks_done = threading.Event()

    def kiosk(n: int) -> None:
        client = app.test_client()
        for i in range(TICKETS_PER_KIOSK):
            key, service = f"outage-kiosk{n}-{i:04d}", ("civil", "insurance", "post")[i % 3]
            response = _until_answered(
                lambda key=key, service=service: client.post(
                    f"{API}/offices/amol/tickets",
                    json={"service": service},
                    headers={**Tokens.header(tokens.kiosk), "Idempotency-Key": key},
                ),
                statuses,
            )
            assert response.status_code == 201, response.get_json()
            acknowledged[key] = response.get_json()["id"]

    def clerk() -> None:
        client = app.test_client()
        while not kiosks_done.is_set():
            response = _until_answered(
                lambda: client.post(
                    f"{API}/counters/{counter_id}/next", headers=Tokens.header(tokens.clerk2)
                ),
                statuses,
            )
            assert response.status_code in (200, 204), response.get_json()
            if response.status_code == 200:
                called.append(response.get_json()["id"])

    counter_id = _counter(app, 2)
    stop = threading.Event()
    with ThreadPoolExecutor(KIOSKS + 2) as pool:
        dropper = pool.submit(_drop_connections_until, stop, db_url)
        calling = pool.submit(clerk)
        try:
            for future in [pool.submit(kiosk, n) for n in range(KIOSKS)]:
                future.result()
        finally:
            kiosks_done.set()
            stop.set()
        calling.result()
        dropped = dropper.result()

    assert dropped > 0 and statuses[503] > 0, (dropped, statuses)
    assert set(statuses) <= {200, 201, 204, 503}, statuses
    with app.app_context():
        s = db.session
        tickets = s.execute(select(Ticket.id, Ticket.number, Ticket.status)).all()
        issued = Tally(
            s.scalars(select(TicketEvent.ticket_id).where(TicketEvent.type == EventType.ISSUED))
        )
        seqs = list(s.scalars(select(TicketEvent.seq).order_by(TicketEvent.seq)))
    # Every key got exactly one ticket, and no ticket exists that no key acknowledged.
    assert len(acknowledged) == KIOSKS * TICKETS_PER_KIOSK
    assert sorted(acknowledged.values()) == sorted(t.id for t in tickets)
    assert len({t.number for t in tickets}) == len(tickets)
    assert all(issued[t.id] == 1 for t in tickets)
    assert seqs == list(range(1, len(seqs) + 1))
    # No ticket was called twice; every ticket the clerk was given left the queue.
    assert len(called) == len(set(called))
    by_id = {t.id: t.status for t in tickets}
    assert all(by_id[ticket_id] is not TicketStatus.WAITING for ticket_id in called)


def _counter(app: Flask, number: int) -> int:
    with app.app_context():
        return db.session.execute(
            select(Counter.id)
            .join(Office, Office.id == Counter.office_id)
            .where(Office.code == "amol", Counter.number == number)
        ).scalar_one()
