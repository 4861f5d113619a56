"""The ticket life cycle: every allowed transition in one table."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from server.engine.errors import N_, IllegalTransition
from server.models import Ticket, TicketStatus

S = TicketStatus


class Action(StrEnum):
    CALL = "call"
    #: Call a no-show again: the citizen turned up at the counter after all.
    REINSTATE = "reinstate"
    RECALL = "recall"
    START = "start"
    #: Set aside at the counter while the citizen fetches a document.
    PARK = "park"
    RESUME = "resume"
    COMPLETE = "complete"
    NO_SHOW = "no_show"
    TRANSFER = "transfer"
    CANCEL = "cancel"
    EXPIRE = "expire"


#: (status, action) -> the status after it. Anything missing is forbidden.
TRANSITIONS: dict[tuple[TicketStatus, Action], TicketStatus] = {
    (S.WAITING, Action.CALL): S.CALLED,
    (S.WAITING, Action.CANCEL): S.CANCELLED,
    (S.WAITING, Action.EXPIRE): S.EXPIRED,
    (S.CALLED, Action.RECALL): S.CALLED,
    (S.CALLED, Action.START): S.SERVING,
    (S.CALLED, Action.PARK): S.PARKED,
    (S.CALLED, Action.COMPLETE): S.DONE,
    (S.CALLED, Action.NO_SHOW): S.NO_SHOW,
    (S.CALLED, Action.TRANSFER): S.TRANSFERRED,
    (S.CALLED, Action.EXPIRE): S.EXPIRED,
    (S.SERVING, Action.PARK): S.PARKED,
    (S.SERVING, Action.COMPLETE): S.DONE,
    (S.SERVING, Action.TRANSFER): S.TRANSFERRED,
    (S.SERVING, Action.EXPIRE): S.EXPIRED,
    (S.PARKED, Action.RESUME): S.SERVING,
    # The citizen never came back with the document.
    (S.PARKED, Action.NO_SHOW): S.NO_SHOW,
    (S.PARKED, Action.EXPIRE): S.EXPIRED,
    (S.NO_SHOW, Action.REINSTATE): S.CALLED,
}

#: The timestamp a ticket gets when it first enters a status (a resumed ticket keeps its
#: start; a parked one keeps when it was parked in ``parked_at`` until it is resumed).
_STAMP = {
    S.CALLED: "called_at",
    S.SERVING: "started_at",
    S.DONE: "finished_at",
    S.NO_SHOW: "finished_at",
    S.TRANSFERRED: "finished_at",
    S.CANCELLED: "finished_at",
    S.EXPIRED: "finished_at",
}


def target(status: TicketStatus, action: Action) -> TicketStatus:
    """The status ``action`` leads to from ``status``, or IllegalTransition."""
    try:
        return TRANSITIONS[(status, action)]
    except KeyError:
        raise IllegalTransition(
            N_("cannot %(action)s a ticket that is %(status)s"),
            action=action,
            status=status,
        ) from None


def apply(ticket: Ticket, action: Action, now: datetime) -> TicketStatus:
    """Move ``ticket`` through ``action`` in memory, stamping the time it happened."""
    new = target(ticket.status, action)
    if action is Action.RECALL:
        ticket.recall_count += 1
        return new
    if action is Action.REINSTATE:
        # Called anew: its wait runs to this call, and it is no longer finished.
        ticket.called_at, ticket.finished_at = now, None
    elif new in _STAMP and getattr(ticket, _STAMP[new]) is None:
        setattr(ticket, _STAMP[new], now)
    if action is Action.PARK:
        # Only a citizen at the counter is set aside: their service has begun.
        ticket.started_at = ticket.started_at or now
        ticket.parked_at = now
    elif ticket.parked_at is not None:  # leaving the park: back, or never came back
        if action is Action.RESUME:
            ticket.parked_us += _micros(now - ticket.parked_at)
        ticket.parked_at = None
    # Served without pressing *start*: service is taken to begin at the call.
    if new is S.DONE and ticket.started_at is None:
        ticket.started_at = ticket.called_at
    ticket.status = new
    return new


def _micros(span: timedelta) -> int:
    """Whole microseconds, as the database's measured columns count them."""
    return span // timedelta(microseconds=1)
