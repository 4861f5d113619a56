"""Errors as ``{"error": {"code", "message"}}`` JSON with a 4xx: never an HTML page or a 500 for bad input."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify, request
from flask_babel import gettext
from flask_smorest import Api
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable

from server.engine.errors import DomainError

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


def error_response(
    status: int, message: str, code: str | None = None, details: Any = None
) -> tuple[Response, int]:
    """The one shape every error takes."""
    body: dict[str, Any] = {"code": code or _CODES.get(status, "error"), "message": message}
    if details:
        body["details"] = details
    return jsonify(error=body), status


class NobatApi(Api):
    """flask-smorest's Api with Nobat's error shape for every HTTP error of the app."""

    def handle_http_exception(self, error: HTTPException) -> tuple[Response, int]:
        status = error.code or 500
        data = getattr(error, "data", None) or {}
        details = data.get("messages")
        if status == 422 and details:
            message = gettext("the request does not match the expected schema")
        elif status == 400 and details:
            message = gettext("the request body is not valid JSON")
        else:
            message = data.get("message") or error.description or error.name
        if details and "json" in details and len(details) == 1:
            details = details["json"]
        return error_response(status, str(message), data.get("code"), details)

    def init_app(self, app: Flask, *, spec_kwargs: dict | None = None) -> None:
        super().init_app(app, spec_kwargs=spec_kwargs)
        app.register_error_handler(DomainError, _domain_error)
        app.register_error_handler(OperationalError, _database_unavailable)
        app.register_error_handler(Exception, _unexpected)


def _domain_error(error: DomainError) -> tuple[Response, int]:
    message = gettext(error.template, **error.params)
    return error_response(error.status, message, error.code, error.params or None)


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
