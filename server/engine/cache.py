"""What a process keeps for a few seconds: offices, service codes, service times, tokens.

One mechanism for every such cache. Each use gives its own age limit, within which
a change in the database shows. Keys carry the database's URL, so that two databases
in one process (tests, tools) never see each other's entries. None is never kept: a
miss is looked up again.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy.orm import Session

T = TypeVar("T")

# Entries are this process's offices, services, counters and tokens: far fewer than this.
LIMIT = 100_000
_entries: dict[tuple[str, str, Hashable], tuple[float, Any]] = {}


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


def forget() -> None:
    """Drop every entry (tests and tools that rewrite the database behind the process)."""
    _entries.clear()


def drop(session: Session, kind: str, key: Hashable) -> None:
    """Forget one entry in this process (other processes forget it when it ages out)."""
    _entries.pop((str(session.get_bind().url), kind, key), None)
