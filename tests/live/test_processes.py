"""Two real server processes on PostgreSQL with Redis between them, as deployed at scale."""

from __future__ import annotations

import http.client
import json
import threading
import time
import uuid
from collections import Counter as Tally
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from harness import builders, services
from harness.processes import Cluster
from server import auth, printing
from server.database import make_engine
from server.engine import EngineSettings, issue, office_by_id
from server.engine.sessions import make_sessionmaker
from server.models import (
    EventType,
    Office,
    PrintJob,
    Role,
    Ticket,
    TicketEvent,
    TicketStatus,
    TokenKind,
)
from tests.live.client import LiveClient

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

SERVICES = ["insurance", "civil", "post"]
# Thousands of tickets a service: past the default daily cap, which is not tested here.
UNCAPPED = EngineSettings(default_daily_cap=None)


# Greenlets as deployed (the default); a thread per connection as well, except
# for the long load test, which would double the suite's slowest minute and a half.
@pytest.fixture(scope="module", params=["gevent", "threading"])
def cluster(request, database, tmp_path_factory):
    result = Cluster(
        database,
        tmp_path_factory.mktemp("instance"),
        services.REDIS_URL,
        async_mode=request.param,
        # One kiosk token issues hundreds of tickets a second here: a load test, not a kiosk.
        extra_env={"NOBAT_RATE_LIMITS": "off"},
    )
    try:
        result.start(2)
        yield result
    finally:
        result.stop()


@dataclass
class Office16:
    """An office of its own per test: 16 counters each with a clerk, a kiosk and displays."""

    code: str
    id: int
    counters: list[int]
    clerks: list[str]
    kiosk: str
    display: str


@pytest.fixture
def office(database) -> Office16:
    engine = make_engine(database)
    with make_sessionmaker(engine)() as session:
        code = f"o{uuid.uuid4().hex[:8]}"
        office = builders.office(session, code)
        counters, clerks = [], []
        for n in range(1, 17):
            counters.append(builders.counter(session, office, n, dict.fromkeys(SERVICES, 1)).id)
            clerk = builders.user(session, f"{code}-clerk{n}", Role.CLERK, office)
            clerks.append(auth.create_token(session, user=clerk))
        # No printer: these tests are about calls and screens, and rendering 3,000
        # preview tickets took more of the two cores than the servers themselves.
        kiosk = auth.create_token(
            session, device=TokenKind.KIOSK, office_id=office.id, printer=printing.NO_PRINTER
        )
        display = auth.create_token(session, device=TokenKind.DISPLAY, office_id=office.id)
        session.commit()
        result = Office16(code, office.id, counters, clerks, kiosk, display)
    engine.dispose()
    return result


class Http:
    """A keep-alive HTTP client that fails over to the next server when one is gone."""

    def __init__(self, urls: list[str], token: str) -> None:
        self.urls, self.token, self.index = urls, token, 0
        self.connection: http.client.HTTPConnection | None = None

    def post(self, path: str, body: dict | None = None) -> tuple[int, dict | None]:
        for _attempt in range(40):
            try:
                if self.connection is None:
                    target = urlsplit(self.urls[self.index % len(self.urls)])
                    self.connection = http.client.HTTPConnection(
                        target.hostname, target.port, timeout=10
                    )
                self.connection.request(
                    "POST",
                    path,
                    body=json.dumps(body or {}),
                    headers={
                        "Authorization": f"Bearer {self.token}",
                        "Content-Type": "application/json",
                    },
                )
                response = self.connection.getresponse()
                payload = response.read()
                if response.status == 503:
                    raise ConnectionError("database briefly unavailable")
                return response.status, json.loads(payload) if payload else None
            except (OSError, http.client.HTTPException):
                # Not acknowledged: nothing is assumed done; try the other process.
                if self.connection is not None:
                    self.connection.close()
                self.connection = None
                self.index += 1
                time.sleep(0.05)
        raise ConnectionError(f"no server answered {path}")

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def _office_seq(database: str, office_id: int) -> int:
    engine = make_engine(database)
    with engine.connect() as connection:
        seq = connection.scalar(select(Office.event_seq).where(Office.id == office_id))
    engine.dispose()
    return seq


def test_a_call_made_through_one_process_reaches_a_socket_on_the_other_within_a_second(
    cluster, office, database
):
    display = LiveClient([cluster.urls[1]], office.display)
    display.connect()
    display.settle(0)
    kiosk = Http([cluster.urls[0]], office.kiosk)
    assert kiosk.post(f"/api/v1/offices/{office.code}/tickets", {"service": "civil"})[0] == 201
    display.settle(1)

    clerk = Http([cluster.urls[0]], office.clerks[0])
    status, ticket = clerk.post(f"/api/v1/counters/{office.counters[0]}/next")
    answered = time.monotonic()
    assert status == 200
    display.settle(_office_seq(database, office.id), timeout=1)
    arrived = time.monotonic()
    display.close()
    kiosk.close()
    clerk.close()
    called = [e for e in display.applied if e["type"] == "called"]
    assert [e["ticket"]["number"] for e in called] == [ticket["number"]]
    assert called[0]["seq"] == _office_seq(database, office.id)
    assert arrived - answered < 1.0


def _issue(cluster: Cluster, office: Office16, count: int, workers: int = 4) -> list[int]:
    def issue_some(worker: int) -> list[int]:
        client = Http(cluster.urls[worker % 2 :] + cluster.urls[: worker % 2], office.kiosk)
        ids = []
        for n in range(count // workers):
            status, ticket = client.post(
                f"/api/v1/offices/{office.code}/tickets", {"service": SERVICES[n % 3]}
            )
            assert status == 201
            ids.append(ticket["id"])
        client.close()
        return ids

    with ThreadPoolExecutor(workers) as pool:
        return [i for batch in pool.map(issue_some, range(workers)) for i in batch]


def _queue_up(database: str, office: Office16, count: int) -> list[int]:
    """``count`` waiting tickets issued by the engine itself, before any display connects.

    Issuing is not what the test is about, and through HTTP it took a third of it.
    """
    engine = make_engine(database)
    with make_sessionmaker(engine)() as session:
        found = office_by_id(session, office.id)
        ids = []
        for n in range(count):
            ids.append(issue(session, found, SERVICES[n % 3], settings=UNCAPPED).ticket.id)
            if n % 100 == 99:
                session.commit()
        session.commit()
    engine.dispose()
    return ids


def _call_all(cluster: Cluster, office: Office16, stop_after: float = 180) -> list[list[int]]:
    def clerk_loop(n: int) -> list[int]:
        urls = cluster.urls[n % 2 :] + cluster.urls[: n % 2]
        client = Http(urls, office.clerks[n])
        claimed, deadline = [], time.monotonic() + stop_after
        while time.monotonic() < deadline:
            status, ticket = client.post(f"/api/v1/counters/{office.counters[n]}/next")
            if status == 204:
                break
            assert status == 200, ticket
            claimed.append(ticket["id"])
        client.close()
        return claimed

    with ThreadPoolExecutor(16) as pool:
        return list(pool.map(clerk_loop, range(16)))


def _called_counts(database: str, office_id: int) -> Tally:
    engine = make_engine(database)
    with engine.connect() as connection:
        rows = connection.execute(
            select(TicketEvent.ticket_id).where(
                TicketEvent.office_id == office_id, TicketEvent.type == EventType.CALLED
            )
        ).scalars()
        result = Tally(rows)
    engine.dispose()
    return result


@pytest.mark.parametrize("cluster", ["gevent"], indirect=True)
def test_sixteen_clerks_on_two_processes_share_3000_tickets_and_every_display_sees_every_call(
    cluster, office, database
):
    issued = _queue_up(database, office, 3000)
    displays = [LiveClient([cluster.urls[n % 2]], office.display) for n in range(4)]
    for display in displays:
        display.connect()
    claimed = _call_all(cluster, office)

    handed = [ticket for batch in claimed for ticket in batch]
    assert len(issued) == len(set(issued)) == 3000
    assert [t for t, times in Tally(handed).items() if times > 1] == []
    assert sorted(handed) == sorted(issued), "a ticket was lost"
    assert set(_called_counts(database, office.id).values()) == {1}

    final = _office_seq(database, office.id)
    for display in displays:
        display.settle(final, timeout=30)
        display.close()
        seqs = [e["seq"] for e in display.applied]
        assert seqs == sorted(seqs)
        called = [e["ticket"]["id"] for e in display.applied if e["type"] == "called"]
        if display.snapshots == 1:
            # Never needed a second snapshot: it saw every call itself, once, in order.
            assert sorted(called) == sorted(handed)
        assert len(called) == len(set(called))


def _comparable(board: dict) -> dict:
    return {
        "seq": board["seq"],
        "waiting": {s["code"]: s["waiting"] for s in board["services"]},
        "counters": {
            c["id"]: (c["state"], (c["ticket"] or {}).get("id"), (c["ticket"] or {}).get("status"))
            for c in board["counters"]
        },
    }


def test_a_display_that_reconnects_ends_with_the_same_board_as_one_that_stayed(
    cluster, office, database
):
    stayed = LiveClient([cluster.urls[0]], office.display)
    dropped = LiveClient([cluster.urls[1]], office.display)
    stayed.connect()
    dropped.connect()
    _issue(cluster, office, 40)
    dropped.close()  # misses what follows
    clerks = [Http([cluster.urls[n % 2]], office.clerks[n]) for n in range(3)]
    for _round in range(5):
        for n, clerk in enumerate(clerks):
            clerk.post(f"/api/v1/counters/{office.counters[n]}/next")
    for clerk in clerks:
        clerk.close()
    _issue(cluster, office, 8)

    back = LiveClient([cluster.urls[1]], office.display)
    back.connect()
    final = _office_seq(database, office.id)
    stayed.settle(final)
    back.settle(final)
    assert _comparable(back.board) == _comparable(stayed.board)
    fresh = stayed.sio.call("snapshot")
    assert _comparable(fresh) == _comparable(stayed.board)
    stayed.close()
    back.close()


def test_killing_a_process_under_load_loses_no_acknowledged_ticket_and_hands_none_out_twice(
    cluster, office, database
):
    display = LiveClient(cluster.urls, office.display)
    display.connect(timeout=10)
    victim = cluster.ports[display.url_index % 2]
    issued = _issue(cluster, office, 600)

    results: list[list[int]] = []
    caller = threading.Thread(target=lambda: results.extend(_call_all(cluster, office)))
    caller.start()
    time.sleep(1.0)
    cluster.kill(victim)
    caller.join(timeout=300)
    assert not caller.is_alive()

    handed = [ticket for batch in results for ticket in batch]
    assert [t for t, times in Tally(handed).items() if times > 1] == []
    engine = make_engine(database)
    with engine.connect() as connection:
        statuses = dict(
            connection.execute(
                select(Ticket.id, Ticket.status).where(Ticket.office_id == office.id)
            ).all()
        )
        waiting = connection.scalar(
            select(func.count())
            .select_from(Ticket)
            .where(Ticket.office_id == office.id, Ticket.status == TicketStatus.WAITING)
        )
    engine.dispose()
    assert set(issued) <= set(statuses), "an acknowledged ticket is missing"
    assert waiting == 0
    assert set(_called_counts(database, office.id).values()) == {1}
    # Every ticket acknowledged to a clerk was really called; a call whose answer was lost
    # with the process is still called exactly once (above) and was not handed out again.
    assert set(handed) <= {t for t, s in statuses.items() if s is not TicketStatus.WAITING}

    display.settle(_office_seq(database, office.id), timeout=30)
    assert display.sio.connected
    display.close()

    cluster.restart(victim)
    kiosk = Http([f"http://127.0.0.1:{victim}"], office.kiosk)
    assert kiosk.post(f"/api/v1/offices/{office.code}/tickets", {"service": "post"})[0] == 201
    kiosk.close()


@pytest.mark.parametrize("cluster", ["gevent"], indirect=True)
def test_sixteen_kiosks_of_one_service_and_clerks_at_once_keep_numbers_and_events_whole(
    cluster, office, database
):
    """The daily number's row is what every kiosk of a service waits for: held for one
    round trip, it must still hand out each number once, in order, with its print job."""
    engine = make_engine(database)
    with make_sessionmaker(engine)() as session:
        kiosks = [
            auth.create_token(session, device=TokenKind.KIOSK, office_id=office.id)
            for _ in range(16)
        ]  # each on the default preview printer: every ticket has a job to write
        session.commit()
    issuing = threading.Event()
    issuing.set()

    def kiosk_loop(n: int) -> list[int]:
        client = Http(cluster.urls[n % 2 :] + cluster.urls[: n % 2], kiosks[n])
        ids = []
        for _ in range(25):
            status, ticket = client.post(
                f"/api/v1/offices/{office.code}/tickets", {"service": "insurance"}
            )
            assert status == 201, ticket
            ids.append(ticket["id"])
        client.close()
        return ids

    def clerk_loop(n: int) -> list[int]:
        client = Http(cluster.urls[n % 2 :] + cluster.urls[: n % 2], office.clerks[n])
        claimed = []
        while True:
            status, ticket = client.post(f"/api/v1/counters/{office.counters[n]}/next")
            if status == 204:
                if not issuing.is_set():
                    break
                time.sleep(0.02)
                continue
            assert status == 200, ticket
            claimed.append(ticket["id"])
        client.close()
        return claimed

    with ThreadPoolExecutor(20) as pool:
        clerks = [pool.submit(clerk_loop, n) for n in range(4)]
        issued = [i for batch in pool.map(kiosk_loop, range(16)) for i in batch]
        issuing.clear()
        handed = [i for clerk in clerks for i in clerk.result(timeout=120)]

    with engine.connect() as connection:
        numbered = connection.execute(
            select(Ticket.id, Ticket.sequence, Ticket.number).where(Ticket.office_id == office.id)
        ).all()
        jobs = Tally(
            connection.execute(
                select(PrintJob.ticket_id).where(PrintJob.office_id == office.id)
            ).scalars()
        )
        seqs = (
            connection.execute(select(TicketEvent.seq).where(TicketEvent.office_id == office.id))
            .scalars()
            .all()
        )
    engine.dispose()
    assert len(issued) == len(set(issued)) == 400
    assert {i for i, _, _ in numbered} == set(issued), "an acknowledged ticket is missing"
    assert sorted(s for _, s, _ in numbered) == list(range(1, 401))
    assert {n for _, _, n in numbered} == {f"A-{s:03d}" for s in range(1, 401)}
    assert set(jobs) == set(issued) and set(jobs.values()) == {1}
    assert sorted(handed) == sorted(issued) and len(set(handed)) == len(handed)
    assert sorted(seqs) == list(range(1, len(seqs) + 1)) == sorted(set(seqs))
    assert set(_called_counts(database, office.id).values()) == {1}
