"""Who may call each endpoint: one declaration per operation, enforced and documented from it.

``@blp.allow(who, at=...)`` names the roles and devices an operation admits and how the
request's office is found (the office in the path, the counter's, the ticket's, the
print job's). The caller is refused before the body is read: 401 without credentials,
403 for a role or device not named, 403 for another office's caller. The OpenAPI
document lists each operation's ``x-roles``, and the authorisation matrix test walks
the routes and fails on an operation without a declaration.

What a declaration cannot say stays in the view, next to what it protects: a counter
device acts only at its own counter, a kiosk reads only its own print jobs.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from flask_babel import gettext
from flask_smorest import abort

from server.api.context import (
    counter_office_or_404,
    office_or_404,
    print_job_office_or_404,
    session,
    ticket_office_or_404,
)
from server.auth import Principal, authenticate
from server.engine.errors import N_
from server.models import TokenKind


class Who(StrEnum):
    """A staff role or a kind of device, as the matrix and the OpenAPI document name them."""

    ADMIN = "admin"
    MANAGER = "manager"
    CLERK = "clerk"
    KIOSK = "kiosk"
    DISPLAY = "display"
    COUNTER = "counter"

    @classmethod
    def of(cls, principal: Principal) -> Who:
        if principal.kind is TokenKind.USER:
            return cls(principal.role.value)  # type: ignore[union-attr]
        return cls(principal.kind.value)


MANAGERS = frozenset({Who.ADMIN, Who.MANAGER})
STAFF = MANAGERS | {Who.CLERK}


class At(StrEnum):
    """Where an operation acts: how its office is found from the path."""

    OFFICE = "office"
    COUNTER = "counter"
    TICKET = "ticket"
    PRINT_JOB = "job"
    #: No office in the path: the view narrows to what the caller oversees.
    OWN_SCOPE = "own scope"


_OFFICE_OF: dict[At, Callable[[Any], int]] = {
    At.OFFICE: lambda code: office_or_404(code).id,
    At.COUNTER: counter_office_or_404,
    At.TICKET: ticket_office_or_404,
    At.PRINT_JOB: print_job_office_or_404,
}


@dataclass(frozen=True)
class Access:
    """An operation's declaration: who may call it, and where it acts."""

    who: frozenset[Who]
    at: At
    #: The sentence (a catalog message id) a caller not named is refused with.
    refusal: str = N_("this caller may not do this")

    def check(self, path: dict[str, Any]) -> Principal:
        """The caller, if admitted here; else abort with 401 or 403 (404 for an unknown place)."""
        principal = authenticate(session())
        if Who.of(principal) not in self.who:
            abort(403, message=gettext(self.refusal))
        if self.at is not At.OWN_SCOPE:
            office_id = _OFFICE_OF[self.at](path[self.at.value])
            if not principal.belongs_to(office_id):
                abort(403, message=gettext("this caller belongs to another office"))
        return principal


#: Attribute of a view function holding its ``Access``.
DECLARED = "nobat_access"


def allow(
    who: Iterable[Who], at: At, refusal: str | None = None
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Admit ``who`` to the decorated operation, acting at ``at``."""
    access = Access(frozenset(who), at, *([refusal] if refusal else []))

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def checked(*args: Any, **kwargs: Any) -> Any:
            access.check(kwargs)
            return view(*args, **kwargs)

        setattr(checked, DECLARED, access)
        return checked

    return decorate


def caller() -> Principal:
    """The admitted caller of this request (authenticated once, kept for the request)."""
    return authenticate(session())
