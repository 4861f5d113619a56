"""Prepared statements give what SQLAlchemy's own execution gives, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import bindparam, exc, insert, select, update

from server.engine.facts import TICKET_COLUMNS, tickets
from server.engine.sql.prepared import Prepared
from server.models import TicketStatus
from tests.engine.helpers import issue

BY_ID = select(*TICKET_COLUMNS).where(tickets.c.id == bindparam("id"))
CALL = (
    update(tickets)
    .where(tickets.c.id == bindparam("ticket"))
    .values(status=TicketStatus.CALLED, called_at=bindparam("now"))
    .returning(tickets.c.id, tickets.c.status, tickets.c.called_at)
)


def test_rows_are_converted_as_sqlalchemy_converts_them(session, amol):
    ticket = issue(session, amol.office, "civil")
    ours = Prepared(BY_ID).first(session, {"id": ticket.id})
    theirs = session.execute(BY_ID, {"id": ticket.id}).one()
    assert tuple(ours) == tuple(theirs)
    assert ours.status is TicketStatus.WAITING
    assert ours.issued_at.tzinfo is not None and ours.business_date == ticket.business_date


def test_the_statements_own_values_and_the_callers_are_both_sent(session, amol):
    ticket = issue(session, amol.office, "civil")
    now = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    called = Prepared(CALL).first(session, {"ticket": ticket.id, "now": now})
    assert (called.id, called.status, called.called_at) == (ticket.id, TicketStatus.CALLED, now)
    session.commit()
    assert session.scalar(select(tickets.c.status).where(tickets.c.id == ticket.id)) == "called"


def test_nothing_found_is_none_and_no_rows(session, amol):
    assert Prepared(BY_ID).first(session, {"id": 999_999}) is None
    assert Prepared(BY_ID).scalar(session, {"id": 999_999}) is None
    assert Prepared(BY_ID).rows(session, {"id": 999_999}) == []


def test_a_missing_parameter_is_refused_before_reaching_the_database(session, amol):
    with pytest.raises(exc.ArgumentError, match="'now'"):
        Prepared(CALL).first(session, {"ticket": 1})


def test_a_broken_constraint_is_sqlalchemys_integrity_error(session, amol):
    ticket = issue(session, amol.office, "civil")
    session.commit()
    copy = {c.name: getattr(ticket, c.name) for c in TICKET_COLUMNS if c.name != "id"}
    with pytest.raises(exc.IntegrityError):
        Prepared(insert(tickets).returning(tickets.c.id)).first(session, copy)
    session.rollback()
