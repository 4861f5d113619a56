"""Typed SQLAlchemy models. Plain SQLAlchemy: the queue engine uses them without Flask."""

from server.database import Base
from server.models.audit import AuditEntry
from server.models.auth import ApiToken, DeviceLink, DevicePairing, Role, TokenKind, User
from server.models.office import (
    PAUSE_REASONS,
    Counter,
    CounterService,
    CounterState,
    Office,
    Service,
)
from server.models.printing import PrintJob, PrintState
from server.models.scope import ManagerOffice
from server.models.signin import SignInFailures, StaffSession, ThrottleScope
from server.models.ticket import (
    IS_CURRENT,
    IS_DONE,
    IS_OPEN,
    IS_PARKED,
    IS_WAITING,
    NET_SERVICE_US,
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
    "IS_PARKED",
    "IS_WAITING",
    "NET_SERVICE_US",
    "OPEN_STATUSES",
    "PAUSE_REASONS",
    "PRIORITY_REASONS",
    "ApiToken",
    "AuditEntry",
    "Base",
    "Counter",
    "CounterService",
    "CounterState",
    "DailySequence",
    "DeviceLink",
    "DevicePairing",
    "EventType",
    "ManagerOffice",
    "Office",
    "PrintJob",
    "PrintState",
    "Role",
    "Service",
    "SignInFailures",
    "StaffSession",
    "ThrottleScope",
    "Ticket",
    "TicketEvent",
    "TicketStatus",
    "TokenKind",
    "User",
]
