"""Devices pairing themselves: a one-time link's code exchanged for a device token."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_babel import gettext
from flask_smorest import abort

from server import device_links
from server.api.blueprint import Blueprint
from server.api.context import session
from server.api.schemas import DeviceClaim, DeviceClaimOut
from server.device_links import LinkRefused, Refusal
from server.engine.clock import utcnow
from server.engine.facts import office_by_id

blp = Blueprint(
    "devices", __name__, url_prefix="/api/v1/devices", description="Devices", public=True
)


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
