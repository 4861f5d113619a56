"""One simulated office day, played through the real queue engine on a simulated clock.

Citizens arrive (a Poisson process whose rate follows the day's shape), take a ticket
with ``engine.issue``; clerks open their counters, call, start, serve, recall and mark
no-shows, transfer, pause and close, each command at its simulated instant (``now=``).
Between commands nothing runs: the clock jumps from one event to the next, so a day
costs what its commands cost. The session is committed once per simulated minute.
"""

from __future__ import annotations

import heapq
import itertools
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import Enum, auto

from sqlalchemy.orm import Session

from server import engine
from server.engine import Action, Actor, EngineSettings, OfficeFacts, ServiceUnavailable
from server.engine.clock import zone
from server.simulate import model


@dataclass(frozen=True)
class Prediction:
    """What ``engine.issue`` told a citizen: people ahead and the wait (None: no estimate)."""

    ticket_id: int
    service_id: int
    issued_at: datetime
    ahead: int
    seconds: int | None
    low: int | None
    high: int | None


@dataclass
class Desk:
    """A counter and the clerk working it, as the simulation sees them."""

    counter_id: int
    clerk: Actor
    #: service id → tier at this counter
    tiers: dict[int, int]
    state: str = "closed"  # closed, idle, waking, busy, paused
    ticket_id: int | None = None
    pending_pause: model.Pause | None = None


class _Kind(Enum):
    ARRIVE = auto()
    OPEN = auto()
    CALL = auto()
    WAKE = auto()
    START = auto()
    RECALL = auto()
    NO_SHOW = auto()
    FINISH = auto()
    TRANSFER = auto()
    PAUSE = auto()
    END = auto()


@dataclass
class OfficeDay:
    """The simulation of one business day of one office."""

    session: Session
    office: OfficeFacts
    day: date
    desks: list[Desk]
    #: service code → id, of the services some counter serves
    services: dict[str, int]
    rng: random.Random
    settings: EngineSettings
    predictions: list[Prediction] = field(default_factory=list)
    turned_away: int = 0
    _queue: list = field(default_factory=list)
    _order: itertools.count = field(default_factory=itertools.count)
    _committed_minute: int = -1
    _day_over: bool = False

    def run(self) -> None:
        """Play the day from the first clerk's arrival until the last counter closes."""
        self._plan()
        handlers: dict[_Kind, Callable] = {
            _Kind.ARRIVE: self._arrive,
            _Kind.OPEN: self._call,
            _Kind.CALL: self._call,
            _Kind.WAKE: self._woken,
            _Kind.START: self._start,
            _Kind.RECALL: self._recall,
            _Kind.NO_SHOW: self._no_show,
            _Kind.FINISH: self._finish,
            _Kind.TRANSFER: self._transfer,
            _Kind.PAUSE: self._pause,
            _Kind.END: self._end,
        }
        while self._queue:
            minute, _, kind, args = heapq.heappop(self._queue)
            if int(minute) != self._committed_minute:
                self.session.commit()
                self._committed_minute = int(minute)
            handlers[kind](self._at(minute), minute, *args)
        self.session.commit()

    # --- the plan: arrivals, clerks' openings and pauses, the end of issuing ---------------

    def _plan(self) -> None:
        rng, codes = self.rng, sorted(self.services)
        shares = [model.profile(code).share for code in codes]
        for start, end, rate in model.arrivals_per_minute(self.day, len(self.desks)):
            minute = start + rng.expovariate(rate)
            while minute < end:
                priority = rng.random() < model.PRIORITY_SHARE
                reason = _weighted(rng, model.PRIORITY_REASONS) if priority else None
                code = rng.choices(codes, shares)[0]
                self._schedule(minute, _Kind.ARRIVE, code, reason)
                minute += rng.expovariate(rate)
        for number, desk in enumerate(self.desks):
            self._schedule(model.OPENS + rng.uniform(-5, 8), _Kind.OPEN, desk)
            for pause in model.pauses(rng, self.day, number, len(self.desks)):
                self._schedule(pause.start, _Kind.PAUSE, desk, pause)
        self._schedule(model.closes(self.day), _Kind.END)

    def _schedule(self, minute: float, kind: _Kind, *args: object) -> None:
        heapq.heappush(self._queue, (minute, next(self._order), kind, args))

    def _later(self, minute: float, seconds: float, kind: _Kind, *args: object) -> None:
        self._schedule(minute + seconds / 60, kind, *args)

    def _at(self, minute: float) -> datetime:
        local = datetime.combine(self.day, datetime.min.time(), zone(self.office.timezone))
        return local + timedelta(minutes=minute)

    # --- citizens -------------------------------------------------------------------------

    def _arrive(self, now: datetime, minute: float, code: str, reason: str | None) -> None:
        try:
            issued = engine.issue(
                self.session,
                self.office,
                code,
                priority=reason is not None,
                priority_reason=reason,
                settings=self.settings,
                now=now,
            )
        except ServiceUnavailable:
            self.turned_away += 1
            return
        estimate = issued.estimate
        self.predictions.append(
            Prediction(
                issued.ticket.id,
                issued.ticket.service_id,
                now,
                issued.ahead,
                estimate.seconds if estimate else None,
                estimate.low if estimate else None,
                estimate.high if estimate else None,
            )
        )
        self._wake(minute, issued.ticket.service_id)

    def _wake(self, minute: float, service_id: int) -> None:
        """An idle clerk who serves the service notices the new ticket (the best tier first)."""
        idle = [d for d in self.desks if d.state == "idle" and service_id in d.tiers]
        if idle:
            desk = min(idle, key=lambda d: d.tiers[service_id])
            desk.state = "waking"
            self._later(minute, self.rng.uniform(2, 15), _Kind.WAKE, desk)

    def _woken(self, now: datetime, minute: float, desk: Desk) -> None:
        if desk.state == "waking":  # not paused meanwhile
            self._call(now, minute, desk)

    # --- clerks ---------------------------------------------------------------------------

    def _call(self, now: datetime, minute: float, desk: Desk) -> None:
        """*Next*: finishes the current citizen as served and calls the best waiting one."""
        ticket = engine.call_next(
            self.session, desk.counter_id, actor=desk.clerk, settings=self.settings, now=now
        )
        if ticket is None:
            desk.ticket_id = None
            if self._day_over:
                engine.close_counter(self.session, desk.counter_id, actor=desk.clerk, now=now)
                desk.state = "closed"
            else:
                desk.state = "idle"
            return
        desk.state, desk.ticket_id = "busy", ticket.id
        if self.rng.random() < model.NO_SHOW_SHARE:
            self._later(minute, model.RECALL_AFTER, _Kind.RECALL, desk)
            return
        walk_up = model.lognormal(self.rng, *model.WALK_UP)
        self._later(minute, walk_up, _Kind.START, desk, ticket.service_code)

    def _start(self, now: datetime, minute: float, desk: Desk, code: str) -> None:
        engine.act(self.session, desk.ticket_id, Action.START, actor=desk.clerk, now=now)
        service = model.profile(code)
        seconds = model.lognormal(self.rng, service.mean_seconds, model.SERVICE_CV)
        target = self._transfer_target(code)
        if target is not None and self.rng.random() < model.TRANSFER_SHARE:
            self._later(minute, seconds * 0.4, _Kind.TRANSFER, desk, target)
        else:
            self._later(minute, seconds, _Kind.FINISH, desk)

    def _transfer_target(self, code: str) -> str | None:
        target = model.profile(code).transfer_to
        if target in self.services:
            return target
        others = sorted(set(self.services) - {code})
        return others[0] if others else None

    def _recall(self, now: datetime, minute: float, desk: Desk) -> None:
        engine.act(self.session, desk.ticket_id, Action.RECALL, actor=desk.clerk, now=now)
        self._later(minute, model.NO_SHOW_AFTER - model.RECALL_AFTER, _Kind.NO_SHOW, desk)

    def _no_show(self, now: datetime, minute: float, desk: Desk) -> None:
        engine.act(self.session, desk.ticket_id, Action.NO_SHOW, actor=desk.clerk, now=now)
        desk.ticket_id = None
        self._next(now, minute, desk)

    def _transfer(self, now: datetime, minute: float, desk: Desk, code: str) -> None:
        new = engine.transfer(self.session, desk.ticket_id, code, actor=desk.clerk, now=now)
        desk.ticket_id = None
        self._wake(minute, new.service_id)
        self._next(now, minute, desk)

    def _finish(self, now: datetime, minute: float, desk: Desk) -> None:
        self._next(now, minute, desk)

    def _next(self, now: datetime, minute: float, desk: Desk) -> None:
        """After a citizen: the planned pause if one is due, otherwise *next*."""
        pause = desk.pending_pause
        if pause is None:
            self._call(now, minute, desk)
            return
        if desk.ticket_id is not None:
            engine.act(self.session, desk.ticket_id, Action.COMPLETE, actor=desk.clerk, now=now)
            desk.ticket_id = None
        self._pause_now(now, minute, desk, pause)

    def _pause(self, now: datetime, minute: float, desk: Desk, pause: model.Pause) -> None:
        if self._day_over:
            return
        if desk.state == "busy":
            desk.pending_pause = pause
        elif desk.state in ("idle", "waking"):
            self._pause_now(now, minute, desk, pause)

    def _pause_now(self, now: datetime, minute: float, desk: Desk, pause: model.Pause) -> None:
        engine.pause_counter(
            self.session, desk.counter_id, actor=desk.clerk, reason=pause.reason, now=now
        )
        desk.state, desk.pending_pause = "paused", None
        self._later(minute, pause.minutes * 60, _Kind.CALL, desk)

    def _end(self, now: datetime, _minute: float) -> None:
        """Issuing stops; idle clerks close now, the others once their queues are empty."""
        self._day_over = True
        for desk in self.desks:
            if desk.state == "idle":
                engine.close_counter(self.session, desk.counter_id, actor=desk.clerk, now=now)
                desk.state = "closed"


def _weighted(rng: random.Random, choices: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([c for c, _ in choices], [w for _, w in choices])[0]
