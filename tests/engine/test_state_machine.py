"""A random walk through the engine's commands, checking the queue's invariants after each step."""

from __future__ import annotations

from collections import Counter as Tally
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from sqlalchemy import func, select

from harness import builders
from server import engine
from server.database import Base, make_engine
from server.engine import Action, Actor, DomainError, EngineSettings
from server.engine.sessions import make_sessionmaker
from server.models import (
    OPEN_STATUSES,
    Counter,
    CounterState,
    EventType,
    Ticket,
    TicketEvent,
    TicketStatus,
)
from tests.engine.helpers import CLERK_ACTIONS

SERVICES = ("insurance", "civil", "post")
OUTCOMES = {
    TicketStatus.DONE: EventType.DONE,
    TicketStatus.NO_SHOW: EventType.NO_SHOW,
    TicketStatus.CANCELLED: EventType.CANCELLED,
    TicketStatus.TRANSFERRED: EventType.TRANSFERRED,
    TicketStatus.EXPIRED: EventType.EXPIRED,
}
START = datetime(2026, 5, 10, 6, 0, tzinfo=UTC)  # 09:30 in Tehran


class QueueMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.db = make_engine("sqlite://")
        Base.metadata.create_all(self.db)
        self.session = make_sessionmaker(self.db)()
        self.settings = EngineSettings(priority_bound=2, estimate_cache_seconds=0)
        self.office = builders.office(self.session)
        self.counters = [
            builders.counter(self.session, self.office, 1, {"insurance": 1, "civil": 2}).id,
            builders.counter(self.session, self.office, 2, {"civil": 1}).id,
            builders.counter(self.session, self.office, 3, {"post": 1, "insurance": 2}).id,
        ]
        self.session.commit()
        self.now = START
        self.ticket_ids: list[int] = []
        self.called_once: Tally[int] = Tally()

    def tick(self) -> datetime:
        self.now += timedelta(seconds=7)
        return self.now

    def attempt(self, command) -> object | None:
        """Run a command as a request would: commit on success, roll back a refusal."""
        try:
            result = command()
        except DomainError:
            self.session.rollback()
            return None
        self.session.commit()
        return result

    @rule(service=st.sampled_from(SERVICES), priority=st.booleans())
    def issue(self, service: str, priority: bool) -> None:
        issued = engine.issue(
            self.session,
            self.office,
            service,
            priority=priority,
            settings=self.settings,
            now=self.tick(),
        )
        self.session.commit()
        self.ticket_ids.append(issued.ticket.id)

    @rule(counter=st.integers(0, 2))
    def call_next(self, counter: int) -> None:
        ticket = self.attempt(
            lambda: engine.call_next(
                self.session, self.counters[counter], settings=self.settings, now=self.tick()
            )
        )
        if ticket is not None:
            self.called_once[ticket.id] += 1

    @precondition(lambda self: self.ticket_ids)
    @rule(data=st.data(), action=st.sampled_from(CLERK_ACTIONS))
    def act(self, data: st.DataObject, action: Action) -> None:
        ticket_id = data.draw(st.sampled_from(self.ticket_ids))
        self.attempt(lambda: engine.act(self.session, ticket_id, action, now=self.tick()))

    @precondition(lambda self: self.ticket_ids)
    @rule(data=st.data())
    def resume(self, data: st.DataObject) -> None:
        ticket_id = data.draw(st.sampled_from(self.ticket_ids))
        self.attempt(lambda: engine.resume(self.session, ticket_id, now=self.tick()))

    @precondition(lambda self: self.ticket_ids)
    @rule(data=st.data(), counter=st.integers(0, 2))
    def call_by_number(self, data: st.DataObject, counter: int) -> None:
        """A citizen out of turn, or a no-show back after all."""
        ticket = self.session.get(Ticket, data.draw(st.sampled_from(self.ticket_ids)))
        was = ticket.status
        called = self.attempt(
            lambda: engine.call_number(
                self.session, self.counters[counter], ticket.number, now=self.tick()
            )
        )
        if called is not None and was is TicketStatus.WAITING:
            self.called_once[called.id] += 1

    @precondition(lambda self: self.ticket_ids)
    @rule(data=st.data(), service=st.sampled_from(SERVICES))
    def transfer(self, data: st.DataObject, service: str) -> None:
        ticket_id = data.draw(st.sampled_from(self.ticket_ids))
        new = self.attempt(
            lambda: engine.transfer(self.session, ticket_id, service, now=self.tick())
        )
        if new is not None:
            self.ticket_ids.append(new.id)

    @rule(
        counter=st.integers(0, 2),
        command=st.sampled_from(["open", "takeover", "pause", "close"]),
    )
    def counter_command(self, counter: int, command: str) -> None:
        run = {
            "open": engine.open_counter,
            "takeover": engine.take_over,
            "pause": engine.pause_counter,
            "close": engine.close_counter,
        }
        self.attempt(
            lambda: run[command](
                self.session, self.counters[counter], actor=Actor(), now=self.tick()
            )
        )

    @invariant()
    def a_ticket_is_at_most_at_one_counter_and_a_counter_has_at_most_one_ticket(self) -> None:
        current = self.session.execute(
            select(Ticket.id, Ticket.counter_id).where(
                Ticket.status.in_([TicketStatus.CALLED, TicketStatus.SERVING])
            )
        ).all()
        assert all(counter is not None for _id, counter in current)
        assert len({counter for _id, counter in current}) == len(current)

    @invariant()
    def a_parked_ticket_waits_at_a_counter_that_is_not_closed(self) -> None:
        parked = self.session.execute(
            select(Ticket.counter_id, Counter.state)
            .join(Counter, Counter.id == Ticket.counter_id, isouter=True)
            .where(Ticket.status == TicketStatus.PARKED)
        ).all()
        assert all(state is not None and state is not CounterState.CLOSED for _c, state in parked)

    @invariant()
    def no_ticket_is_called_twice(self) -> None:
        assert all(times == 1 for times in self.called_once.values())

    @invariant()
    def numbers_are_unique_per_service_and_day(self) -> None:
        duplicates = self.session.execute(
            select(Ticket.service_id, Ticket.business_date, Ticket.number)
            .group_by(Ticket.service_id, Ticket.business_date, Ticket.number)
            .having(func.count() > 1)
        ).all()
        assert duplicates == []

    def teardown(self) -> None:
        """After the day closes every ticket has one outcome, in its status and in its events."""
        try:
            engine.close_day(self.session, self.office, self.now + timedelta(days=1))
            self.session.commit()
            for ticket in self.session.scalars(select(Ticket)):
                assert ticket.status not in OPEN_STATUSES
                trail = self.session.scalars(
                    select(TicketEvent.type)
                    .where(TicketEvent.ticket_id == ticket.id)
                    .order_by(TicketEvent.seq)
                ).all()
                # A no-show reinstated is called again: only what followed counts.
                since = (
                    len(trail) - trail[::-1].index(EventType.REINSTATED)
                    if (EventType.REINSTATED in trail)
                    else 0
                )
                endings = [t for t in trail[since:] if t in OUTCOMES.values()]
                assert endings == [OUTCOMES[ticket.status]], (ticket.number, trail)
        finally:
            self.session.close()
            self.db.dispose()


QueueMachine.TestCase.settings = settings(
    max_examples=60,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_queue_invariants_hold_under_any_sequence_of_commands = QueueMachine.TestCase
