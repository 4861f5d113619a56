"""The queue engine: numbering, routing, life cycle, estimates and events.

Plain Python over SQLAlchemy; it imports nothing from Flask (a test checks), so
it can be driven from the API, the CLI, tests and benchmarks alike. Commands
change the session and record events; the caller commits, and events are
published after the commit.
"""

from server.engine.counters import (
    call_next,
    close_counter,
    current_ticket,
    open_counter,
    pause_counter,
)
from server.engine.day import close_day
from server.engine.errors import (
    CounterBusy,
    DomainError,
    IdempotencyKeyReused,
    IllegalTransition,
    NotFound,
    ServiceUnavailable,
)
from server.engine.events import (
    SYSTEM,
    Actor,
    CollectingPublisher,
    LiveEvent,
    NullPublisher,
    Publisher,
)
from server.engine.facts import (
    CounterFacts,
    OfficeFacts,
    TicketFacts,
    office_by_code,
    office_by_id,
    ticket_by_id,
)
from server.engine.lifecycle import TRANSITIONS, Action
from server.engine.settings import EngineSettings
from server.engine.snapshot import Snapshot
from server.engine.tickets import Issued, act, by_public_token, issue, transfer, where_it_stands

__all__ = [
    "SYSTEM",
    "TRANSITIONS",
    "Action",
    "Actor",
    "CollectingPublisher",
    "CounterBusy",
    "CounterFacts",
    "DomainError",
    "EngineSettings",
    "IdempotencyKeyReused",
    "IllegalTransition",
    "Issued",
    "LiveEvent",
    "NotFound",
    "NullPublisher",
    "OfficeFacts",
    "Publisher",
    "ServiceUnavailable",
    "Snapshot",
    "TicketFacts",
    "act",
    "by_public_token",
    "call_next",
    "close_counter",
    "close_day",
    "current_ticket",
    "issue",
    "office_by_code",
    "office_by_id",
    "open_counter",
    "pause_counter",
    "ticket_by_id",
    "transfer",
    "where_it_stands",
]
