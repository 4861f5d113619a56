"""Domain errors: what the queue refuses, with a code and words; no HTTP here.

The API chooses each error's status (``server/api/errors.py``), so the engine serves
the command line, the simulator and the serial bridge the same way.

Messages are English templates with ``%(name)s`` fields, marked with ``N_`` so
that the gettext catalogs pick them up; the web layer translates them for the
caller's language (the engine itself knows nothing of Flask-Babel).
"""

from __future__ import annotations

from typing import Any


def N_(template: str) -> str:
    """Mark a message for translation without translating it here."""
    return template


class DomainError(Exception):
    """A request the queue cannot honour in its current state."""

    code = "conflict"

    def __init__(self, template: str, **params: Any) -> None:
        self.template = template
        self.params = params
        self.message = template % params if params else template
        super().__init__(self.message)


class IllegalTransition(DomainError):
    code = "illegal_transition"


class ServiceUnavailable(DomainError):
    code = "service_unavailable"


class CounterBusy(DomainError):
    code = "counter_busy"


class TicketChanged(DomainError):
    """The counter's or ticket's state moved on since the caller last saw it (another
    window, a keypad, a colleague): nothing was done, the caller looks again."""

    code = "changed_meanwhile"


class InvalidNumber(DomainError):
    code = "invalid_number"


class IdempotencyKeyReused(DomainError):
    """An Idempotency-Key already used for another request, or by another caller."""

    code = "idempotency_key_reused"


class NotFound(DomainError):
    code = "not_found"
