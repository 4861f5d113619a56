"""Transfers keep the citizen's place; the day's close expires what is still open."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from server import engine
from server.engine import Action, DomainError, IllegalTransition, NotFound, ServiceUnavailable
from server.engine.clock import utcnow
from server.models import Ticket, TicketStatus
from tests.engine.helpers import act, call, issue


def test_a_transferred_citizen_keeps_their_place_by_the_original_queue_time(session, amol):
    early = issue(session, amol.office, "insurance")
    later_civil = [issue(session, amol.office, "civil") for _ in range(3)]
    call(session, amol.counters[0].id)  # counter 1 calls the insurance ticket
    moved = engine.transfer(session, early.id, "civil")
    session.commit()

    assert moved.number == "B-004"
    assert moved.queued_at == early.queued_at
    assert moved.issued_at > early.issued_at
    assert moved.transferred_from_id == early.id
    assert engine.ticket_by_id(session, early.id).status is TicketStatus.TRANSFERRED
    # Counter 2 serves civil: the transferred citizen goes before those who came after.
    assert call(session, amol.counters[1].id).id == moved.id
    assert call(session, amol.counters[1].id).id == later_civil[0].id


def test_a_transfer_keeps_priority(session, amol):
    elderly = issue(session, amol.office, "insurance", priority=True)
    call(session, amol.counters[0].id)
    moved = engine.transfer(session, elderly.id, "civil")
    assert moved.priority is True


@pytest.mark.parametrize(
    ("service", "error"),
    [("insurance", DomainError), ("nothing", NotFound)],
    ids=["same service", "unknown service"],
)
def test_a_transfer_needs_another_existing_service(session, amol, service, error):
    ticket = issue(session, amol.office, "insurance")
    call(session, amol.counters[0].id)
    with pytest.raises(error):
        engine.transfer(session, ticket.id, service)


def test_a_waiting_ticket_cannot_be_transferred(session, amol):
    ticket = issue(session, amol.office, "insurance")
    with pytest.raises(IllegalTransition):
        engine.transfer(session, ticket.id, "civil")


def test_an_inactive_service_issues_no_tickets(session, amol):
    post = next(s for s in amol.office.services if s.code == "post")
    post.active = False
    session.commit()
    with pytest.raises(ServiceUnavailable):
        engine.issue(session, amol.office, "post")


def test_closing_the_day_expires_every_open_ticket_of_earlier_days(session, amol):
    now = utcnow()
    with time_machine.travel(now - timedelta(days=1), tick=False):
        waiting = issue(session, amol.office, "civil")
        called = issue(session, amol.office, "insurance")
        call(session, amol.counters[0].id)
        served = issue(session, amol.office, "post")
        call(session, amol.counters[2].id)
        act(session, served, Action.COMPLETE)
    with time_machine.travel(now, tick=False):
        expired = engine.close_day(session, amol.office, utcnow())
        session.commit()
        today = issue(session, amol.office, "civil")

    assert expired == 2
    statuses = dict(session.execute(select(Ticket.id, Ticket.status)).all())
    assert statuses[waiting.id] is TicketStatus.EXPIRED
    assert statuses[called.id] is TicketStatus.EXPIRED
    assert statuses[served.id] is TicketStatus.DONE
    assert statuses[today.id] is TicketStatus.WAITING
    assert engine.current_ticket(session, amol.counters[0].id) is None


def test_the_first_action_of_a_new_day_sweeps_the_previous_day_by_itself(session, amol):
    now = utcnow()
    with time_machine.travel(now - timedelta(days=1), tick=False):
        stale = issue(session, amol.office, "civil")
    with time_machine.travel(now, tick=False):
        issue(session, amol.office, "civil")
    assert engine.ticket_by_id(session, stale.id).status is TicketStatus.EXPIRED
