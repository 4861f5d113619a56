"""Sign-in throttling: failures counted per user name and per client address.

A few failures are free (a mistyped password); after that each further failure
doubles the wait before the next attempt, up to a cap, so guessing a clerk's
password takes years while the clerk loses minutes at most. The counts live in the
database, so every server process sees the same ones. An hour without failures
forgets them; signing in resets the name's count (not the address's: one valid
account must not buy an attacker fresh guesses at the others).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import bindparam, case, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from server.models import SignInFailures, ThrottleScope

#: Failures allowed before any wait.
FREE = {ThrottleScope.NAME: 5, ThrottleScope.ADDRESS: 20}
FIRST_WAIT = timedelta(minutes=1)
MAX_WAIT = timedelta(minutes=15)
QUIET = timedelta(hours=1)

_table = SignInFailures.__table__


def _count(insert):
    """One failure more, or the first of a new streak after a quiet hour; the new count."""
    stmt = insert(_table).values(
        scope=bindparam("scope"), key=bindparam("key"), failures=1, last_failed_at=bindparam("now")
    )
    return stmt.on_conflict_do_update(
        index_elements=[_table.c.scope, _table.c.key],
        set_={
            "failures": case(
                (_table.c.last_failed_at < bindparam("quiet_since"), 1),
                else_=_table.c.failures + 1,
            ),
            "last_failed_at": stmt.excluded.last_failed_at,
        },
    ).returning(_table.c.failures)


# Both databases speak INSERT ... ON CONFLICT ... RETURNING: two processes counting the
# same name at once each add their failure.
_COUNT = {"postgresql": _count(postgresql.insert), "sqlite": _count(sqlite.insert)}


def _keys(name: str, address: str) -> dict[ThrottleScope, str]:
    return {ThrottleScope.NAME: name[:64], ThrottleScope.ADDRESS: address[:64]}


def wait(session: Session, name: str, address: str, now: datetime) -> timedelta | None:
    """How long this name or address must still wait before trying again, if at all."""
    until = session.scalar(
        select(func.max(SignInFailures.locked_until)).where(
            or_(
                *(
                    (SignInFailures.scope == scope) & (SignInFailures.key == key)
                    for scope, key in _keys(name, address).items()
                )
            ),
            SignInFailures.locked_until > now,
        )
    )
    return until - now if until is not None else None


def failed(session: Session, name: str, address: str, now: datetime) -> None:
    """Count a failed sign-in against the name and the address; lock those past their free."""
    quiet_since = now - QUIET
    count = _COUNT[session.get_bind().dialect.name]
    for scope, key in _keys(name, address).items():
        failures = session.execute(
            count, {"scope": scope, "key": key, "now": now, "quiet_since": quiet_since}
        ).scalar_one()
        if failures >= FREE[scope]:
            session.execute(
                update(SignInFailures)
                .where(SignInFailures.scope == scope, SignInFailures.key == key)
                .values(locked_until=now + _wait_after(failures - FREE[scope]))
            )
    # Forget the streaks that went quiet, so guessed names do not pile up.
    session.execute(delete(SignInFailures).where(SignInFailures.last_failed_at < quiet_since))


def succeeded(session: Session, name: str) -> None:
    """A user signed in: their name starts afresh."""
    session.execute(
        delete(SignInFailures).where(
            SignInFailures.scope == ThrottleScope.NAME, SignInFailures.key == name[:64]
        )
    )


def _wait_after(extra: int) -> timedelta:
    """1, 2, 4, 8 … minutes after the free failures, at most ``MAX_WAIT``."""
    return min(MAX_WAIT, FIRST_WAIT * 2 ** min(extra, 16))
