"""Typed SQLAlchemy models. Plain SQLAlchemy: the queue engine uses them without Flask."""

from server.database import Base
from server.models.auth import ApiToken, Role, TokenKind, User
from server.models.office import Counter, CounterService, CounterState, Office, Service
from server.models.printing import PrintJob, PrintState
from server.models.ticket import (
    IS_CURRENT,
    IS_DONE,
    IS_OPEN,
    IS_WAITING,
    OPEN_STATUSES,
    PRIORITY_REASONS,
    DailySequence,
    EventType,
    Ticket,
    TicketEvent,
    TicketStatus,
)

__all__ = [
    "IS_CURRENT",
    "IS_DONE",
    "IS_OPEN",
    "IS_WAITING",
    "OPEN_STATUSES",
    "PRIORITY_REASONS",
    "ApiToken",
    "Base",
    "Counter",
    "CounterService",
    "CounterState",
    "DailySequence",
    "EventType",
    "Office",
    "PrintJob",
    "PrintState",
    "Role",
    "Service",
    "Ticket",
    "TicketEvent",
    "TicketStatus",
    "TokenKind",
    "User",
]
