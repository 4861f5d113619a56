"""Many clerks pressing *call next* at once, in threads and in processes, on SQLite and PostgreSQL:
no ticket is handed out twice, none is lost, and numbers are unique."""

from __future__ import annotations

import multiprocessing
import random
from collections import Counter as Tally
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from harness import builders
from server.models import EventType, Ticket, TicketEvent, TicketStatus
from tests.integration.workers import call_numbers, call_until_empty, issue_tickets

pytestmark = pytest.mark.slow

TICKETS = 2000
OUT_OF_TURN = 300
SERVICES = ["insurance", "civil", "post"]


@pytest.fixture
def busy_office(session, db_url):
    """An office with eight counters that all serve every service, and a clerk each."""
    office = builders.office(session)
    counters = []
    for n in range(1, 9):
        counter = builders.counter(
            session, office, n, {"insurance": 1, "civil": 1 + n % 2, "post": 2}
        )
        clerk = builders.user(session, f"clerk{n}", office=office)
        counters.append((counter.id, clerk.id))
    session.commit()
    return db_url, counters


def _run(pool_class, workers: int, jobs: list[tuple]) -> list:
    kwargs = (
        {"mp_context": multiprocessing.get_context("spawn")}
        if pool_class is ProcessPoolExecutor
        else {}
    )
    with pool_class(max_workers=workers, **kwargs) as pool:
        futures = [pool.submit(*job) for job in jobs]
        return [future.result(timeout=300) for future in futures]


def _check(session, issued: list[list[str]], claimed: list[list[int]]) -> None:
    numbers = [n for batch in issued for n in batch]
    assert len(numbers) == TICKETS
    assert len(set(numbers)) == TICKETS, "a ticket number was given twice"

    handed = [ticket for batch in claimed for ticket in batch]
    twice = [ticket for ticket, times in Tally(handed).items() if times > 1]
    assert twice == [], f"{len(twice)} tickets were handed to two clerks"
    assert len(handed) == TICKETS, f"{TICKETS - len(handed)} tickets were lost"
    assert sum(1 for batch in claimed if batch) > 1, "the clerks did not really compete"

    called_events = session.scalar(
        select(func.count()).select_from(TicketEvent).where(TicketEvent.type == EventType.CALLED)
    )
    assert called_events == TICKETS
    waiting = session.scalar(
        select(func.count()).select_from(Ticket).where(Ticket.status == TicketStatus.WAITING)
    )
    assert waiting == 0


@pytest.mark.parametrize(
    ("pool_class", "workers"),
    [(ThreadPoolExecutor, 8), (ProcessPoolExecutor, 4)],
    ids=["8 threads", "4 processes"],
)
def test_concurrent_clerks_never_share_or_lose_a_ticket(session, busy_office, pool_class, workers):
    url, counters = busy_office
    per_issuer = TICKETS // workers
    issued = _run(
        pool_class,
        workers,
        [(issue_tickets, url, "amol", SERVICES, per_issuer) for _ in range(workers)],
    )
    clerks = counters[:workers] if pool_class is ProcessPoolExecutor else counters
    claimed = _run(
        pool_class,
        len(clerks),
        [(call_until_empty, url, counter, clerk) for counter, clerk in clerks],
    )
    session.expire_all()
    _check(session, issued, claimed)


def test_clerks_calling_by_number_and_by_next_at_once_never_share_a_ticket(session, busy_office):
    """Half the clerks press *next*; the others call every number out of turn, each in an
    order of its own."""
    url, counters = busy_office
    numbers = issue_tickets(url, "amol", SERVICES, OUT_OF_TURN)
    jobs = []
    for n, (counter, clerk) in enumerate(counters):
        if n % 2:
            jobs.append((call_until_empty, url, counter, clerk))
        else:
            jobs.append(
                (
                    call_numbers,
                    url,
                    counter,
                    clerk,
                    random.Random(n).sample(numbers, k=len(numbers)),
                )
            )
    claimed = _run(ThreadPoolExecutor, len(counters), jobs)
    handed = [ticket for batch in claimed for ticket in batch]
    assert len(handed) == len(set(handed)) == OUT_OF_TURN, "a ticket was called twice or lost"
    assert sum(1 for batch in claimed if batch) > 2, "the clerks did not really compete"
    session.expire_all()
    called = session.scalar(
        select(func.count()).select_from(TicketEvent).where(TicketEvent.type == EventType.CALLED)
    )
    assert called == OUT_OF_TURN
