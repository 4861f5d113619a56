"""A print job as the server sends it, turned into what the printer needs, and its result.

Kept apart from the connection handling in ``kiosk/agent.py`` so it can be checked on its
own; like the agent, it imports nothing from the server.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

Job = dict[str, Any]


def expired(job: Job, now: datetime | None = None) -> bool:
    """Whether the job is past its deadline, by this PC's clock (keep it synchronised)."""
    deadline = datetime.fromisoformat(job["expires_at"])
    if deadline.tzinfo is None:
        deadline = deadline.replace(tzinfo=UTC)
    return (now or datetime.now(UTC)) > deadline


def result(job_id: int, state: str, reason: str | None = None, message: str = "") -> Job:
    """A ``print_result`` payload."""
    return {"job": job_id, "state": state, "reason": reason, "message": message or None}
