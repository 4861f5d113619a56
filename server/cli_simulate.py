"""``nobat simulate``: weeks of an office's history, written by the engine on a simulated clock."""

from __future__ import annotations

import sys
from datetime import date

import click
from flask.cli import with_appcontext
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.engine import NullPublisher, office_by_code
from server.engine.clock import business_date, utcnow
from server.engine.sessions import make_sessionmaker
from server.extensions import db
from server.models import Office, Ticket
from server.simulate import (
    History,
    SimulationRefused,
    last_working_days,
    province,
    simulate,
    working_days,
)


@click.command("simulate")
@click.option("--office", "office_code", help="the office to fill (not with --offices)")
@click.option("--days", default=22, show_default=True, help="working days (Fridays skipped)")
@click.option("--seed", default=0, show_default=True, help="the same seed, the same history")
@click.option("--offices", type=int, help="fill N copies of the demo office, prov-001…")
@click.option(
    "--start",
    type=click.DateTime(["%Y-%m-%d"]),
    help="first day (default: the days that end yesterday)",
)
@with_appcontext
def simulate_command(
    office_code: str | None, days: int, seed: int, offices: int | None, start: object
) -> None:
    """Simulate office days (arrivals, clerks, pauses) through the real engine."""
    if bool(office_code) == bool(offices):
        raise click.UsageError("give either --office CODE or --offices N")
    # Its own session, publishing nothing: history must not reach live displays.
    session = make_sessionmaker(db.engine, NullPublisher())()
    with session:
        codes = province(session, offices) if offices else [office_code]
        summaries = []
        label = f"simulating {len(codes)} office(s) × {days} days"
        with click.progressbar(length=len(codes) * days, label=label, file=sys.stderr) as bar:
            for code in codes:
                chosen = (
                    working_days(start.date(), days)
                    if start
                    else last_working_days(_today(session, code), days)
                )
                try:
                    history = simulate(session, code, chosen, seed, lambda _day: bar.update(1))
                except SimulationRefused as error:
                    raise click.ClickException(str(error)) from None
                summaries.append(_summary(code, history))
        click.echo("\n".join(summaries))


def demo_history(office_code: str, days: int, seed: int = 0) -> None:
    """Give the demo office ``days`` working days of history up to yesterday, and say so."""
    history = _fill(office_code, days, seed)
    if history is None:
        click.echo("demo history: the office has some already; nothing simulated")
    else:
        click.echo(f"demo history: {_summary(office_code, history)}")


def _fill(office_code: str, days: int, seed: int) -> History | None:
    """Simulate the days unless the office has history already (None): the demo run again
    never adds to it."""
    session = make_sessionmaker(db.engine, NullPublisher())()
    with session:
        today = _today(session, office_code)
        earlier = (
            select(Ticket.id)
            .join(Office, Office.id == Ticket.office_id)
            .where(Office.code == office_code, Ticket.business_date < today)
        )
        if session.scalar(earlier.limit(1)) is not None:
            return None
        return simulate(session, office_code, last_working_days(today, days), seed)


def _today(session: Session, office_code: str) -> date:
    """The office's local date: history ends the day before, never inside today's queue."""
    office = office_by_code(session, office_code)
    if office is None:
        raise click.ClickException(f"no office {office_code}")
    return business_date(office.timezone, utcnow())


def _summary(code: str, history: History) -> str:
    made = f"{code}: simulated {len(history.days)} days, {len(history.predictions)} tickets"
    if history.skipped:
        made += f"; skipped {len(history.skipped)} days that had tickets"
    return made
