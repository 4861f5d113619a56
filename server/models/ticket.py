"""Tickets, their numbering rows and the event trail every statistic is computed from."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Computed,
    Date,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    column,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.database import Base, UTCDateTime, micros_between
from server.models._types import enum_column
from server.models.office import Counter, Office, Service


class TicketStatus(StrEnum):
    WAITING = "waiting"
    CALLED = "called"
    SERVING = "serving"
    DONE = "done"
    NO_SHOW = "no_show"
    TRANSFERRED = "transferred"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    #: Set aside at its counter while the citizen fetches a document; resumed there.
    PARKED = "parked"


OPEN_STATUSES = frozenset(
    {TicketStatus.WAITING, TicketStatus.CALLED, TicketStatus.SERVING, TicketStatus.PARKED}
)

PRIORITY_REASONS = ("elderly", "disabled", "veteran", "pregnant")

# Status tests as SQL literals rather than bound parameters, so that PostgreSQL's
# planner can match the partial indexes below even for prepared statements.
IS_WAITING = text("tickets.status = 'waiting'")
IS_DONE = text("tickets.status = 'done'")
IS_OPEN = text("tickets.status IN ('waiting', 'called', 'serving', 'parked')")
IS_PARKED = text("tickets.status = 'parked'")
IS_CURRENT = text("tickets.status IN ('called', 'serving')")
HAS_REQUEST_KEY = text("tickets.request_key IS NOT NULL")
HAS_CALL_KEY = text("tickets.call_key IS NOT NULL")


class EventType(StrEnum):
    """What happened; the ticket kinds double as the live event names."""

    ISSUED = "issued"
    CALLED = "called"
    #: A no-show called again at a counter where the citizen turned up after all.
    REINSTATED = "reinstated"
    RECALLED = "recalled"
    STARTED = "started"
    PARKED = "parked"
    RESUMED = "resumed"
    DONE = "done"
    NO_SHOW = "no_show"
    TRANSFERRED = "transferred"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    COUNTER = "counter"
    #: Staff printed the ticket again (no change of status: the audit trail of reprints).
    REPRINTED = "reprinted"


def _measured(start: str, end: str) -> Computed:
    """A stored column of the microseconds between two of the ticket's times."""
    return Computed(micros_between(column(start), column(end)), persisted=True)


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (
        # Numbers are never reused within a business day, whatever the code does.
        UniqueConstraint("service_id", "business_date", "sequence", name="uq_ticket_number"),
        # Call next reads only today's waiting tickets of a few services, in order.
        Index(
            "ix_tickets_waiting",
            "service_id",
            "business_date",
            "priority",
            "queued_at",
            "id",
            sqlite_where=IS_WAITING,
            postgresql_where=IS_WAITING,
        ),
        # A counter holds at most one current ticket.
        Index(
            "uq_tickets_current_per_counter",
            "counter_id",
            unique=True,
            sqlite_where=IS_CURRENT,
            postgresql_where=IS_CURRENT,
        ),
        Index(
            "ix_tickets_open_by_day",
            "office_id",
            "business_date",
            sqlite_where=IS_OPEN,
            postgresql_where=IS_OPEN,
        ),
        Index("ix_tickets_recent_calls", "office_id", "called_at"),
        # Statistics read a range of business days of some offices, whatever the status.
        Index("ix_tickets_office_day", "office_id", "business_date"),
        # ...and what each counter held while it was open: its calls in a stretch of time.
        Index("ix_tickets_counter_called", "counter_id", "called_at"),
        # A kiosk that retries after a lost answer gets the same ticket, not a second one.
        Index(
            "uq_tickets_request_key",
            "office_id",
            "request_key",
            unique=True,
            sqlite_where=HAS_REQUEST_KEY,
            postgresql_where=HAS_REQUEST_KEY,
        ),
        # A clerk's retry of *call next* (its answer lost) gets the ticket the first one called.
        Index(
            "uq_tickets_call_key",
            "counter_id",
            "call_key",
            unique=True,
            sqlite_where=HAS_CALL_KEY,
            postgresql_where=HAS_CALL_KEY,
        ),
        Index(
            "ix_tickets_served",
            "service_id",
            "finished_at",
            sqlite_where=IS_DONE,
            postgresql_where=IS_DONE,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"))
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"))
    business_date: Mapped[date] = mapped_column(Date)
    sequence: Mapped[int]
    number: Mapped[str] = mapped_column(String(16))
    priority: Mapped[bool] = mapped_column(default=False)
    # Why the ticket has priority (elderly, disabled, veteran, pregnant), for the clerk to verify.
    priority_reason: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[TicketStatus] = mapped_column(
        enum_column(TicketStatus), default=TicketStatus.WAITING
    )
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The routing key: equals issued_at, except that a transferred ticket keeps the
    # queue time of the ticket it came from and so keeps the citizen's place.
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    called_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    counter_id: Mapped[int | None] = mapped_column(ForeignKey("counters.id", ondelete="SET NULL"))
    clerk_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    transferred_from_id: Mapped[int | None] = mapped_column(
        ForeignKey("tickets.id", ondelete="SET NULL")
    )
    recall_count: Mapped[int] = mapped_column(default=0)
    public_token: Mapped[str] = mapped_column(String(43), unique=True)
    # The issuing request's Idempotency-Key, if it sent one.
    request_key: Mapped[str | None] = mapped_column(String(64))
    # The Idempotency-Key of the *call next* that called it, if it sent one.
    call_key: Mapped[str | None] = mapped_column(String(64))
    # Measured times in microseconds, kept by the database whenever the times change,
    # so that statistics over a province add numbers instead of parsing timestamps.
    wait_us: Mapped[int | None] = mapped_column(BigInteger, _measured("issued_at", "called_at"))
    walk_up_us: Mapped[int | None] = mapped_column(BigInteger, _measured("called_at", "started_at"))
    service_us: Mapped[int | None] = mapped_column(
        BigInteger, _measured("started_at", "finished_at")
    )
    held_us: Mapped[int | None] = mapped_column(BigInteger, _measured("called_at", "finished_at"))
    # Time set aside at the counter (parked) while being served, left out of the service
    # time: the citizen was away fetching a document. parked_at is the current park's start.
    parked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    parked_us: Mapped[int] = mapped_column(BigInteger, server_default="0")

    office: Mapped[Office] = relationship()
    service: Mapped[Service] = relationship()
    counter: Mapped[Counter | None] = relationship()


class DailySequence(Base):
    """The last number handed out per service and business day (one row, bumped atomically)."""

    __tablename__ = "daily_sequences"

    service_id: Mapped[int] = mapped_column(
        ForeignKey("services.id", ondelete="CASCADE"), primary_key=True
    )
    business_date: Mapped[date] = mapped_column(Date, primary_key=True)
    last: Mapped[int]


class TicketEvent(Base):
    """One transition: the audit trail (who, when, where) and the source of statistics."""

    __tablename__ = "ticket_events"
    __table_args__ = (Index("ix_ticket_events_office_at", "office_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"))
    ticket_id: Mapped[int | None] = mapped_column(
        ForeignKey("tickets.id", ondelete="CASCADE"), index=True
    )
    type: Mapped[EventType] = mapped_column(enum_column(EventType))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    counter_id: Mapped[int | None] = mapped_column(ForeignKey("counters.id", ondelete="SET NULL"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    device_token_id: Mapped[int | None] = mapped_column(
        ForeignKey("api_tokens.id", ondelete="SET NULL")
    )
    # The office's live sequence number carried by the published event.
    seq: Mapped[int]
    detail: Mapped[str | None] = mapped_column(String(200))


#: Service time as statistics, estimates and staffing advice mean it: started → done,
#: less the time the ticket was parked.
NET_SERVICE_US = Ticket.service_us - Ticket.parked_us
