"""What a process keeps between requests, listed here and emptied by one call.

Every process-wide cache is made by :func:`keep`, so :func:`forget` (tests and tools
that rewrite the database behind the process) empties all those that hold data:

- ``entries``: what :func:`cached` keeps for a few seconds (offices, service codes,
  service times, tokens), each use with its own age limit, within which a change in
  the database shows;
- ``day sweeps``: the business day each office was last swept (``engine/day.py``);
- ``token last seen``: when each token's ``last_seen_at`` was last written
  (``server/auth.py``);
- ``claim plans`` and ``peek plans``: call next's statements per routing order
  (``engine/sql/claim.py``), and ``prepared plans``: each prepared statement compiled
  per database and parameters (``engine/sql/prepared.py``). Plans hold no data, so
  ``forget`` keeps them (compiling them again in every test cost more than the test);
  ``forget(plans=True)`` empties them too.

Keys of what depends on the data carry the database's URL, so that two databases in
one process never see each other's entries. None is never kept: a miss is looked up
again.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy.orm import Session

T = TypeVar("T")

# Entries are this process's offices, services, counters and tokens: far fewer than this.
LIMIT = 100_000
_kept: list[tuple[str, bool, dict[Any, Any]]] = []


def keep(name: str, *, plans: bool = False) -> dict[Any, Any]:
    """A dict for the process's life, listed under ``name`` and emptied by :func:`forget`
    (``plans``: compiled statements, which hold no data)."""
    found: dict[Any, Any] = {}
    _kept.append((name, plans, found))
    return found


def kept() -> list[str]:
    """The names of the process's caches (one name may hold several, e.g. prepared plans)."""
    return sorted({name for name, _, _ in _kept})


_entries: dict[tuple[str, str, Hashable], tuple[float, Any]] = keep("entries")


def cached(
    session: Session, kind: str, key: Hashable, max_age: float, load: Callable[[], T | None]
) -> T | None:
    """``load()``, or what it gave less than ``max_age`` seconds ago (0: always load)."""
    if max_age <= 0:
        return load()
    entry = (str(session.get_bind().url), kind, key)
    now = time.monotonic()
    hit = _entries.get(entry)
    if hit is not None and now - hit[0] < max_age:
        return hit[1]
    value = load()
    if value is None:
        _entries.pop(entry, None)
    else:
        if len(_entries) >= LIMIT:
            _entries.clear()
        _entries[entry] = (now, value)
    return value


def forget(*, plans: bool = False) -> None:
    """Empty the process's caches of data (tests and tools that rewrite the database),
    and with ``plans`` its compiled statements too."""
    for _, is_plan, found in _kept:
        if plans or not is_plan:
            found.clear()


def drop(session: Session, kind: str, key: Hashable) -> None:
    """Forget one entry in this process (other processes forget it when it ages out)."""
    _entries.pop((str(session.get_bind().url), kind, key), None)
