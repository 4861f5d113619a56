"""What every API blueprint shares: authentication first, strict JSON, plain numeric ids."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

import flask_smorest
from flask import Flask, Request
from flask_babel import gettext
from flask_smorest import abort
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request
from werkzeug.routing import IntegerConverter

from server.api.access import At, Who, allow
from server.api.schemas import Error
from server.auth import authenticate
from server.extensions import db


class JsonParser(FlaskParser):
    """A request body must be JSON, sent as JSON; anything else is a clear 4xx."""

    def _raw_load_json(self, req: Request) -> Any:
        body = req.get_data(cache=True)
        limit = req.max_content_length
        if req.content_length is None and limit is not None and len(body) >= limit:
            # A chunked body has no length to refuse up front: its reading stops at the
            # limit, and what was read would be refused as cut-off JSON (400), not as 413.
            abort(413, message=gettext("the request body is too large"))
        if body and not is_json_request(req):
            abort(415, message=gettext("send the body as application/json"))
        try:
            found = super()._raw_load_json(req)
        except json.JSONDecodeError:
            raise
        except (RecursionError, ValueError) as error:
            # Nested too deep, or a number longer than Python will convert.
            raise json.JSONDecodeError(str(error) or "invalid JSON", "?", 0) from error
        return found

    def parse(self, *args: Any, **kwargs: Any) -> Any:
        """The arguments as the schema loads them, but no text with a NUL character: after
        the fields' own checks, so a field that refuses it still says which one."""
        loaded = super().parse(*args, **kwargs)
        if _holds_nul(loaded):
            abort(422, message=gettext("text may not contain the NUL character (U+0000)"))
        return loaded


def _holds_nul(value: Any) -> bool:
    """Whether loaded arguments have a NUL character in any text, keys included (without
    recursion: a body may be nested nearly as deep as the parser allows). PostgreSQL
    stores no NUL, and one reaching it was a 500."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


class Blueprint(flask_smorest.Blueprint):
    """An API blueprint whose every request is authenticated before anything else.

    So an unknown office or a malformed body is never told to a caller without a
    valid token: that caller learns only that it needs one.
    """

    ARGUMENTS_PARSER = JsonParser()

    def __init__(self, *args: Any, public: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: Open to anyone (health, device claims): its operations declare no ``allow``.
        self.public = public
        if not public:
            self.before_request(lambda: authenticate(db.session) and None)

    def allow(
        self, who: Iterable[Who], at: At, refusal: str | None = None
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Admit ``who`` to the decorated operation acting at ``at`` (``server.api.access``),
        and say so in the OpenAPI document, with the refusals that follow from it (401,
        403, and 404 for an unknown place); others are refused with ``refusal`` (a
        message id). Put it above the arguments: a caller is refused before its body
        is read."""
        admitted = sorted(who)
        refusals = [
            (401, "no valid bearer token or signed-in session", _CHALLENGE),
            (403, f"a caller other than {', '.join(admitted)}, or of another office", None),
        ]
        if at is not At.OWN_SCOPE:
            refusals.append((404, _UNKNOWN[at], None))

        def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
            result = self.doc(**{"x-roles": admitted, "x-acts-at": at.value})(
                allow(admitted, at, refusal)(view)
            )
            for status, description, headers in refusals:
                result = self.refusal(status, description, headers=headers)(result)
            return result

        return decorate

    def refusal(
        self, status: int, description: str, *, headers: dict[str, Any] | None = None
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Document that the decorated operation may answer ``status`` (in the error shape)
        when ``description`` holds."""
        return self.alt_response(status, schema=Error, description=description, headers=headers)

    def arguments(self, schema: Any, *, location: str = "json", **kwargs: Any) -> Any:
        """flask-smorest's arguments (422 for a body or query that does not validate),
        and for a body the refusals of :class:`JsonParser`: 400, 413 and 415."""
        decorator = super().arguments(schema, location=location, **kwargs)
        if location != "json":
            return decorator

        def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
            result = decorator(view)
            for status, description in _BODY_REFUSALS:
                result = self.refusal(status, description)(result)
            return result

        return decorate


#: What a 401 carries besides the error: the challenge of RFC 6750.
_CHALLENGE = {
    "WWW-Authenticate": {
        "description": '`Bearer realm="nobat"`',
        "schema": {"type": "string"},
    }
}
_UNKNOWN = {
    At.OFFICE: "no office with this code",
    At.COUNTER: "no counter with this id",
    At.TICKET: "no ticket with this id",
    At.PRINT_JOB: "no print job with this id",
}
_BODY_REFUSALS = (
    (400, "the body is not valid JSON"),
    (413, "the body is too large"),
    (415, "the body is not sent as `application/json`"),
)


class IdConverter(IntegerConverter):
    """A database id in a path: ASCII digits only, within a 32-bit integer."""

    regex = r"[0-9]{1,10}"

    def __init__(self, map: Any) -> None:
        super().__init__(map, min=1, max=2**31 - 1)


def register_converters(app: Flask, api: flask_smorest.Api) -> None:
    """Make ``<id:name>`` usable in routes and documented as a positive integer."""
    app.url_map.converters["id"] = IdConverter
    api.register_converter(
        IdConverter, lambda _converter: {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
    )


__all__ = ["Blueprint", "IdConverter", "core", "register_converters"]
