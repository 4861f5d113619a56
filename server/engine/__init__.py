"""The queue engine: numbering, routing, life cycle, estimates and events.

Plain Python over SQLAlchemy; it imports nothing from Flask (a test checks), so
it can be driven from the API, the CLI, tests and benchmarks alike. Commands
change the session and record events; the caller commits, and events are
published after the commit.
"""

from server.engine.bulk import cancel_waiting
from server.engine.clock import business_date, utcnow, zone
from server.engine.counters import (
    UNCHECKED,
    call_next,
    call_number,
    close_counter,
    current_ticket,
    open_counter,
    pause_counter,
    resume,
    take_over,
)
from server.engine.day import close_day
from server.engine.errors import (
    N_,
    CounterBusy,
    DomainError,
    IdempotencyKeyReused,
    IllegalTransition,
    InvalidNumber,
    NotFound,
    ServiceUnavailable,
    TicketChanged,
)
from server.engine.estimates import Estimate
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
from server.engine.tickets import (
    Issued,
    act,
    by_public_token,
    issue,
    ticket_by_number,
    transfer,
    where_it_stands,
)

__all__ = [
    "N_",
    "SYSTEM",
    "TRANSITIONS",
    "UNCHECKED",
    "Action",
    "Actor",
    "CollectingPublisher",
    "CounterBusy",
    "CounterFacts",
    "DomainError",
    "EngineSettings",
    "Estimate",
    "IdempotencyKeyReused",
    "IllegalTransition",
    "InvalidNumber",
    "Issued",
    "LiveEvent",
    "NotFound",
    "NullPublisher",
    "OfficeFacts",
    "Publisher",
    "ServiceUnavailable",
    "Snapshot",
    "TicketChanged",
    "TicketFacts",
    "act",
    "business_date",
    "by_public_token",
    "call_next",
    "call_number",
    "cancel_waiting",
    "close_counter",
    "close_day",
    "current_ticket",
    "issue",
    "office_by_code",
    "office_by_id",
    "open_counter",
    "pause_counter",
    "resume",
    "take_over",
    "ticket_by_id",
    "ticket_by_number",
    "transfer",
    "utcnow",
    "where_it_stands",
    "zone",
]
