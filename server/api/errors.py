"""Errors as ``{"error": {"code", "message"}}`` JSON with a 4xx; bad input never gets a 500."""

from __future__ import annotations

import logging
import re
from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from flask_babel import get_locale, gettext, pgettext
from flask_limiter import RateLimitExceeded
from flask_smorest import Api
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable

from server import limits
from server.api.schemas import Error
from server.engine.errors import DomainError, InvalidNumber, NotFound
from server.engine.facts import ServiceNames
from server.engine.lifecycle import Action
from server.models import TicketStatus

log = logging.getLogger(__name__)

_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "too_many_requests",
    500: "internal",
    503: "unavailable",
}


def _standard_messages() -> dict[int, str]:
    """Translated words for the errors the web framework raises by itself."""
    return {
        400: gettext("the request is not valid"),
        401: gettext("a bearer token is required"),
        403: gettext("this caller may not do this"),
        404: gettext("there is nothing at this address"),
        405: gettext("this address does not accept this method"),
        413: gettext("the request body is too large"),
        415: gettext("send the body as application/json"),
    }


def error_response(
    status: int, message: str, code: str | None = None, details: Any = None
) -> tuple[Response, int]:
    """The one shape every error takes."""
    body: dict[str, Any] = {"code": code or _CODES.get(status, "error"), "message": message}
    if details:
        body["details"] = _printable(details)
    return jsonify(error=body), status


#: Characters of echoed input shown as escapes: controls (NUL…) and the bidi embeddings,
#: overrides and isolates, which would reorder the text of the message around them.
_UNSHOWN = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
#: Echoed input longer than this is cut: in a message, and in details (which also carry
#: the server's own longer sentences, such as a province file's problems).
ECHO_LIMIT, DETAILS_LIMIT = 64, 500


def echoed(value: str, limit: int = ECHO_LIMIT) -> str:
    """Input quoted safely in an error: invisible and reordering characters as escapes
    (``\\u202e``), lone surrogates replaced, cut at ``limit`` characters."""
    cut = value[:limit] + ("…" if len(value) > limit else "")
    shown = _UNSHOWN.sub(lambda m: f"\\u{ord(m.group()):04x}", cut)
    return shown.encode("utf-8", "replace").decode("utf-8")


def _printable(value: Any) -> Any:
    """Echoed input (in details: field names, values) as :func:`echoed` shows it."""
    if isinstance(value, str):
        return echoed(value, DETAILS_LIMIT)
    if isinstance(value, dict):
        return {_printable(k): _printable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_printable(v) for v in value]
    return value


class NobatApi(Api):
    """flask-smorest's Api with Nobat's error shape for every HTTP error of the app."""

    ERROR_SCHEMA = Error

    def handle_http_exception(self, error: HTTPException) -> tuple[Response, int]:
        status = error.code or 500
        data = getattr(error, "data", None) or {}
        details = data.get("messages")
        if status == 422 and details:
            message = gettext("the request does not match the expected schema")
        elif status == 400 and details:
            message = gettext("the request body is not valid JSON")
        else:
            message = data.get("message") or _standard_messages().get(status) or error.name
        if details and "json" in details and len(details) == 1:
            details = details["json"]
        headers: dict[str, str] = {}
        if isinstance(error, RateLimitExceeded):
            seconds = limits.retry_after(error)
            message, headers["Retry-After"] = limits.refusal(seconds), str(seconds)
        if _wants_page():
            page = render_template("error.html", status=status, message=message, again=headers)
            return Response(page, status, headers)
        response, status = error_response(status, str(message), data.get("code"), details)
        response.headers.update(headers)
        # Keep what the protocol requires: Allow on a 405, a challenge on a 401.
        for name, value in error.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
        # And what a view asked for (``abort(..., headers={"Retry-After": ...})``).
        for name, value in (data.get("headers") or {}).items():
            response.headers[name] = value
        if status == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="nobat"'
        return response, status

    def init_app(self, app: Flask, *, spec_kwargs: dict | None = None) -> None:
        super().init_app(app, spec_kwargs=spec_kwargs)
        app.register_error_handler(DomainError, _domain_error)
        app.register_error_handler(OperationalError, _database_unavailable)
        app.register_error_handler(Exception, _unexpected)


def _wants_page() -> bool:
    """A person's browser on a page (not the API) gets an HTML page, not JSON."""
    return not request.path.startswith("/api/") and request.accept_mimetypes.accept_html


#: The status of each domain error the queue refuses with; any other is a conflict with
#: the queue's current state.
DOMAIN_STATUSES: dict[type[DomainError], int] = {InvalidNumber: 422, NotFound: 404}


def _domain_error(error: DomainError) -> tuple[Response, int]:
    words = {name: _word(value) for name, value in error.params.items()}
    message = gettext(error.template, **words)
    details = {name: _code(value) for name, value in error.params.items()}
    return error_response(_status_of(error), message, error.code, details or None)


def _status_of(error: DomainError) -> int:
    """The most specific status mapped for the error's class (subclasses inherit)."""
    for kind in type(error).__mro__:
        if kind in DOMAIN_STATUSES:
            return DOMAIN_STATUSES[kind]
    return 409


def _code(value: Any) -> Any:
    """A named thing as programs know it: a service by its code."""
    return value.code if isinstance(value, ServiceNames) else value


def _word(value: Any) -> Any:
    """A status, an action or a service as the caller's language says it (codes: details)."""
    if isinstance(value, ServiceNames):
        return value.name_en if get_locale().language == "en" else value.name_fa
    if isinstance(value, TicketStatus):
        return {
            TicketStatus.WAITING: pgettext("ticket status", "waiting"),
            TicketStatus.CALLED: pgettext("ticket status", "called"),
            TicketStatus.SERVING: pgettext("ticket status", "being served"),
            TicketStatus.DONE: pgettext("ticket status", "done"),
            TicketStatus.NO_SHOW: pgettext("ticket status", "marked absent"),
            TicketStatus.TRANSFERRED: pgettext("ticket status", "transferred"),
            TicketStatus.CANCELLED: pgettext("ticket status", "cancelled"),
            TicketStatus.EXPIRED: pgettext("ticket status", "expired"),
            TicketStatus.PARKED: pgettext("ticket status", "parked"),
        }[value]
    if isinstance(value, Action):
        return {
            Action.CALL: pgettext("ticket action", "call"),
            Action.REINSTATE: pgettext("ticket action", "call again"),
            Action.RECALL: pgettext("ticket action", "recall"),
            Action.START: pgettext("ticket action", "start serving"),
            Action.PARK: pgettext("ticket action", "park"),
            Action.RESUME: pgettext("ticket action", "resume"),
            Action.COMPLETE: pgettext("ticket action", "complete"),
            Action.NO_SHOW: pgettext("ticket action", "mark absent"),
            Action.TRANSFER: pgettext("ticket action", "transfer"),
            Action.CANCEL: pgettext("ticket action", "cancel"),
            Action.EXPIRE: pgettext("ticket action", "expire"),
        }[value]
    return echoed(value) if isinstance(value, str) else value


def _database_unavailable(error: OperationalError) -> tuple[Response, int]:
    # A restarting database is a temporary condition, not a server bug: ask to retry.
    log.warning("database unavailable during %s %s: %s", request.method, request.path, error)
    response, status = error_response(
        ServiceUnavailable.code, gettext("the database is not reachable; please retry")
    )
    response.headers["Retry-After"] = "1"
    return response, status


def _unexpected(error: Exception) -> tuple[Response, int]:
    if isinstance(error, HTTPException):
        raise error
    log.exception("unhandled error during %s %s", request.method, request.path)
    return error_response(InternalServerError.code, gettext("internal error"))
