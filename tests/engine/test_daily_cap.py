"""The daily cap: a service's own, else a default one, held exactly even by racing kiosks."""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest
from sqlalchemy import func, select

from server import engine
from server.engine import ServiceUnavailable, snapshot
from server.models import Service, Ticket
from tests.conftest import FRESH
from tests.engine.helpers import call

CAP3 = replace(FRESH, default_daily_cap=3)


def issue(session, office, service: str, settings=CAP3):
    ticket = engine.issue(session, office, service, settings=settings).ticket
    session.commit()
    return ticket


def refused(session, office, service: str, settings=CAP3) -> ServiceUnavailable:
    with pytest.raises(ServiceUnavailable) as caught:
        engine.issue(session, office, service, settings=settings)
    session.rollback()
    return caught.value


def service(session, office, code: str) -> Service:
    return session.scalar(
        select(Service).where(Service.office_id == office.id, Service.code == code)
    )


def test_the_default_cap_is_500_a_service_a_day():
    assert FRESH.default_daily_cap == 500
    assert FRESH.daily_cap(None) == 500 and FRESH.daily_cap(40) == 40


def test_a_service_without_a_cap_of_its_own_stops_at_the_default(session, amol):
    numbers = [issue(session, amol.office, "civil").number for _ in range(3)]
    assert numbers == ["B-001", "B-002", "B-003"]
    error = refused(session, amol.office, "civil")
    assert error.params["reason"] == "daily_cap"
    assert error.template == "today's tickets for service %(service)s are all taken"
    # Another service has its own count; the refused request used up no number.
    assert issue(session, amol.office, "post").number == "C-001"
    service(session, amol.office, "civil").daily_cap = 4
    session.commit()
    assert issue(session, amol.office, "civil").number == "B-004"


def test_a_services_own_cap_holds_over_the_default_either_way(session, amol):
    service(session, amol.office, "civil").daily_cap = 5
    service(session, amol.office, "post").daily_cap = 1
    session.commit()
    assert [issue(session, amol.office, "civil").number for _ in range(5)][-1] == "B-005"
    refused(session, amol.office, "civil")
    issue(session, amol.office, "post")
    refused(session, amol.office, "post")


def test_no_default_cap_when_it_is_switched_off(session, amol):
    uncapped = replace(FRESH, default_daily_cap=None)
    for _ in range(4):
        issue(session, amol.office, "civil", uncapped)
    refused(session, amol.office, "civil")  # the default cap of 3 still holds elsewhere


def test_a_citizen_transferred_into_a_full_service_is_not_turned_away(session, amol):
    for _ in range(3):
        issue(session, amol.office, "post")
    waiting = issue(session, amol.office, "insurance")
    call(session, amol.counters[0].id)
    moved = engine.transfer(session, waiting.id, "post")
    session.commit()
    assert moved.number == "C-004"


def test_the_board_says_a_full_service_is_full_and_what_its_cap_is(session, amol):
    for _ in range(3):
        issue(session, amol.office, "civil")
    board = snapshot.take(session, engine.office_by_id(session, amol.office.id), CAP3)
    by_code = {q.service.code: q for q in board.services}
    assert (by_code["civil"].unavailable, by_code["civil"].daily_cap) == ("daily_cap", 3)
    assert (by_code["post"].unavailable, by_code["post"].daily_cap) == (None, 3)


def test_kiosks_racing_for_the_last_numbers_get_exactly_the_cap(session_factory, session, amol):
    """Twelve requests at once for the last three numbers: three tickets, nine refusals.

    The count is held by the numbering's own statement, not read before it: read first,
    two requests could both see one number left and both take it.
    """
    for _ in range(7):
        issue(session, amol.office, "civil", replace(FRESH, default_daily_cap=10))
    start = threading.Barrier(12)
    outcomes: list[str] = []

    def kiosk() -> None:
        with session_factory() as own:
            office = engine.office_by_id(own, amol.office.id)
            start.wait()
            try:
                engine.issue(own, office, "civil", settings=replace(FRESH, default_daily_cap=10))
                own.commit()
                outcomes.append("ticket")
            except ServiceUnavailable:
                own.rollback()
                outcomes.append("refused")

    threads = [threading.Thread(target=kiosk) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["refused"] * 9 + ["ticket"] * 3
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Ticket)) == 10
