"""Every process-wide cache is listed in one place and emptied by one call."""

from __future__ import annotations

import ast
from pathlib import Path

from sqlalchemy.orm import Session

from server.engine import cache

SERVER = Path(__file__).resolve().parents[2] / "server"

#: Module-level state that is not a cache: the list of caches itself, the Socket.IO events
#: as declared at import, who is connected, a warning given once.
NOT_CACHES = {
    ("engine/cache.py", "_kept"),
    ("live/sockets.py", "EVENTS"),
    ("live/sockets.py", "clients"),
    ("live/sockets.py", "ticket_pages"),
    ("limits.py", "_warned"),
}


def _module_level_containers() -> set[tuple[str, str]]:
    """Module-level names bound to a new dict, list or set literal (not through ``keep``)."""
    found = set()
    for path in SERVER.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.AnnAssign | ast.Assign) and isinstance(
                node.value, ast.Dict | ast.List | ast.Set
            ):
                targets = [node.target] if isinstance(node, ast.AnnAssign) else node.targets
                names = [t.id for t in targets if isinstance(t, ast.Name)]
                if node.value.keys if isinstance(node.value, ast.Dict) else node.value.elts:
                    continue  # a constant table, not something filled as the process runs
                found |= {(str(path.relative_to(SERVER)), name) for name in names}
    return found


def test_no_module_keeps_a_cache_of_its_own() -> None:
    assert _module_level_containers() == NOT_CACHES


def test_the_caches_are_listed_by_name() -> None:
    assert cache.kept() == [
        "claim plans",
        "day sweeps",
        "entries",
        "peek plans",
        "prepared plans",
        "token last seen",
    ]


def test_forgetting_empties_what_holds_data_and_keeps_the_plans(session: Session) -> None:
    loads = []
    load = lambda: loads.append(1) or "office"  # noqa: E731
    assert cache.cached(session, "office", "amol", 60, load) == "office"
    assert cache.cached(session, "office", "amol", 60, load) == "office"
    assert len(loads) == 1
    plans = [found for name, plan, found in cache._kept if plan and found]
    cache.forget()
    assert cache.cached(session, "office", "amol", 60, load) == "office"
    assert len(loads) == 2
    assert all(found for found in plans)
