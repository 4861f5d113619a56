"""Devices pairing themselves: a one-time link's code, or a short code a manager approves.

These operations need no credential: the device has none yet. A pairing request is
bounded instead (``server.device_pairing``), and its token is delivered only to the
poll that presents the page's own secret.
"""

from __future__ import annotations

from typing import Any

from flask import request
from flask.views import MethodView
from flask_babel import gettext
from flask_smorest import abort

from server import device_links, device_pairing
from server.api.blueprint import Blueprint
from server.api.context import session
from server.api.schemas import (
    DeviceClaim,
    DeviceClaimOut,
    PairingPoll,
    PairingPollOut,
    PairingRequest,
    PairingRequestOut,
)
from server.device_links import LinkRefused, Refusal
from server.device_pairing import PairingRefused
from server.engine.clock import utcnow
from server.engine.facts import office_by_code, office_by_id
from server.models import TokenKind

blp = Blueprint(
    "devices", __name__, url_prefix="/api/v1/devices", description="Devices", public=True
)

#: How often a page waiting for approval asks again.
POLL_SECONDS = 2


@blp.route("/claim")
class Claim(MethodView):
    @blp.arguments(DeviceClaim())
    @blp.response(201, DeviceClaimOut)
    @blp.alt_response(404, description="no such link")
    @blp.alt_response(410, description="the link was used already, or has expired")
    @blp.doc(security=[])
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Trade a one-time device link's code for a new device token (works once)."""
        try:
            claimed = device_links.claim(session(), body["code"], utcnow())
        except LinkRefused as refused:
            _refuse(refused.reason)
        session().commit()
        office = office_by_id(session(), claimed.office_id)
        return {"token": claimed.token, "kind": claimed.kind.value, "office": office.code}


def _refuse(reason: Refusal) -> None:
    status, message = {
        Refusal.UNKNOWN: (404, gettext("this device link is not known")),
        Refusal.USED: (410, gettext("this device link was used already; ask for a new one")),
        Refusal.EXPIRED: (410, gettext("this device link has expired; ask for a new one")),
    }[reason]
    abort(status, message=message, code=f"link_{reason.value}")


@blp.route("/pairings")
class Pairings(MethodView):
    @blp.arguments(PairingRequest())
    @blp.response(201, PairingRequestOut)
    @blp.alt_response(404, description="no such office")
    @blp.alt_response(429, description="too many devices are waiting to be paired")
    @blp.refusal(410, "this secret asked for a pairing already, now expired or delivered")
    @blp.doc(security=[])
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """A kiosk's or display's page asks to be paired: a code for its screen (10 minutes).

        ``secret`` is random, made by the page and kept by it (the server stores its
        SHA-256); only a poll that presents it again receives the token."""
        office = office_by_code(session(), body["office"])
        if office is None:
            abort(404, message=gettext("there is no such office"), code="office_unknown")
        try:
            made = device_pairing.request_pairing(
                session(),
                TokenKind(body["kind"]),
                office.id,
                body["secret"],
                request.remote_addr or "",
                utcnow(),
            )
        except PairingRefused as refused:
            _refuse_pairing(refused.reason)
        session().commit()
        return {"code": made.code, "expires_at": made.expires_at, "poll_seconds": POLL_SECONDS}


@blp.route("/pairings/poll")
class Poll(MethodView):
    @blp.arguments(PairingPoll())
    @blp.response(200, PairingPollOut)
    @blp.alt_response(404, description="no pairing was asked with this secret")
    @blp.alt_response(410, description="the code has expired, or its token was delivered")
    @blp.doc(security=[])
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """The waiting page asks whether a manager approved its code; then (once) its token."""
        try:
            polled = device_pairing.poll(session(), body["secret"], utcnow())
        except PairingRefused as refused:
            _refuse_pairing(refused.reason)
        session().commit()
        answer: dict[str, Any] = {"state": polled.state, "expires_at": polled.expires_at}
        if polled.token is not None:
            answer["token"] = polled.token
            answer["kind"] = polled.kind.value  # type: ignore[union-attr]
        return answer


def refusal_of(reason: device_pairing.Refusal) -> tuple[int, str]:
    """The status and sentence a refused pairing step answers with."""
    kinds = device_pairing.Refusal
    return {
        kinds.UNKNOWN: (404, gettext("no device is waiting with this code; check the code")),
        kinds.EXPIRED: (410, gettext("this code has expired; the device shows a new one")),
        kinds.USED: (410, gettext("this code was used already")),
        kinds.KIND: (409, gettext("this code is shown by another kind of device")),
        kinds.BUSY: (
            429,
            gettext("too many devices are waiting to be paired; try again in a few minutes"),
        ),
    }[reason]


def _refuse_pairing(reason: device_pairing.Refusal) -> None:
    status, message = refusal_of(reason)
    if status == 429:
        abort(status, message=message, code="pairing_busy", headers={"Retry-After": "60"})
    abort(status, message=message, code=f"pairing_{reason.value}")
