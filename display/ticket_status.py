"""A citizen's own ticket as their phone shows it: one payload for the page and its socket.

The server-rendered page and every live ``ticket`` message are built here, so the
first screen and the updates say the same. The payload carries this one ticket only
(and, once transferred, the number and link of the ticket it became): never another
citizen's number, service, counter or time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from server.engine import (
    N_,
    EngineSettings,
    Estimate,
    NotFound,
    TicketFacts,
    business_date,
    by_public_token,
    ticket_by_id,
    utcnow,
    where_it_stands,
)
from server.models import Counter, Ticket, TicketStatus
from server.ticket_links import status_path
from server.wording import wait_words

#: Statuses after which nothing more happens to the ticket: the page says so and hangs up.
CLOSED = frozenset(
    {
        TicketStatus.DONE,
        TicketStatus.NO_SHOW,
        TicketStatus.CANCELLED,
        TicketStatus.EXPIRED,
        TicketStatus.TRANSFERRED,
    }
)
#: Statuses in which the ticket stands at a counter, which the page names.
AT_COUNTER = frozenset({TicketStatus.CALLED, TicketStatus.SERVING, TicketStatus.PARKED})


@dataclass(frozen=True)
class TicketState:
    """What the database says about one ticket, read once and worded in either language."""

    ticket: TicketFacts
    ahead: int | None = None
    estimate: Estimate | None = None
    #: the counter's Persian and English names, while the ticket stands at it
    counter: tuple[str, str] | None = None
    #: the number and link token of the ticket a transfer made from this one
    successor: Row | None = None


def open_link(session: Session, token: str) -> TicketFacts:
    """The ticket behind a link that still works: today's (the office's day), else NotFound.

    The page and its socket both check a link here; a link lives for its ticket's
    business day, so a screenshot or a shared link does not follow anyone for ever.
    """
    ticket = by_public_token(session, token)
    if ticket.business_date < business_date(ticket.timezone, utcnow()):
        raise NotFound(N_("this ticket's link has expired"))
    return ticket


def read_state(session: Session, ticket_id: int, settings: EngineSettings) -> TicketState | None:
    """Where a ticket stands now: its place while waiting, its counter, what it became."""
    ticket = ticket_by_id(session, ticket_id)
    if ticket is None:
        return None
    if ticket.status is TicketStatus.WAITING:
        stands = where_it_stands(session, ticket, settings)
        return TicketState(ticket, stands.ahead, stands.estimate)
    if ticket.status in AT_COUNTER and ticket.counter_id is not None:
        names = session.execute(
            select(Counter.name, Counter.name_en).where(Counter.id == ticket.counter_id)
        ).one()
        return TicketState(ticket, counter=(names[0], names[1]))
    if ticket.status is TicketStatus.TRANSFERRED:
        return TicketState(ticket, successor=transferred_to(session, ticket.id))
    return TicketState(ticket)


def transferred_to(session: Session, ticket_id: int) -> Row | None:
    """The number and link token of the ticket a transfer made from this one."""
    # The new ticket is inserted just after the old one: walking the primary key up from
    # the old id finds it in a few rows, however long the table's history.
    return session.execute(
        select(Ticket.number, Ticket.public_token)
        .where(Ticket.id > ticket_id, Ticket.transferred_from_id == ticket_id)
        .order_by(Ticket.id)
        .limit(1)
    ).first()


def status_payload(state: TicketState, lang: str) -> dict[str, Any]:
    """The ticket's status as its page shows it, worded in ``lang`` (the locale in force).

    ``called_at`` and ``recalls`` let the page tell a new call or a recall (alert again)
    from the same call seen twice (a reconnect).
    """
    ticket = state.ticket
    en = lang == "en"
    successor = None
    if state.successor is not None:
        number, token = state.successor
        successor = {"number": number, "url": status_path(token, lang)}
    return {
        "status": ticket.status.value,
        "closed": ticket.status in CLOSED,
        "number": ticket.number,
        "ahead": state.ahead,
        "wait": wait_words(state.estimate, lang) if ticket.status is TicketStatus.WAITING else None,
        "counter": (state.counter[1] if en else state.counter[0]) if state.counter else None,
        "called_at": ticket.called_at.isoformat() if ticket.called_at else None,
        "recalls": ticket.recall_count,
        "successor": successor,
    }
