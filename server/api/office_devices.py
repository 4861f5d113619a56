"""An office's devices, for its managers: approve a pairing code, list, revoke."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_babel import gettext
from flask_smorest import abort
from sqlalchemy import select

from server import audit, auth, device_pairing, live, printing
from server.api.access import MANAGERS, At, caller
from server.api.blueprint import Blueprint
from server.api.context import acting, office_or_404, session
from server.api.devices import refusal_of
from server.api.schemas import DeviceOut, PairingApproval
from server.device_pairing import PairingRefused
from server.engine.clock import utcnow
from server.engine.errors import N_
from server.models import ApiToken, PrintJob, TokenKind

blp = Blueprint("office_devices", __name__, url_prefix="/api/v1", description="Devices")

OFFICE = "/offices/<string(maxlength=32):office>"
REFUSAL = N_("only the office's managers look after its devices")


@blp.route(f"{OFFICE}/devices")
class Devices(MethodView):
    @blp.allow(MANAGERS, At.OFFICE, REFUSAL)
    @blp.response(200, DeviceOut(many=True))
    def get(self, office: str) -> list[dict[str, Any]]:
        """The office's kiosks, displays and counter devices still allowed in, newest first."""
        tokens = session().scalars(
            select(ApiToken)
            .where(
                ApiToken.office_id == office_or_404(office).id,
                ApiToken.kind != TokenKind.USER,
                ApiToken.revoked.is_(False),
            )
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
        return [device_view(token) for token in tokens]


@blp.route(f"{OFFICE}/devices/pair")
class Pair(MethodView):
    @blp.allow(MANAGERS, At.OFFICE, REFUSAL)
    @blp.arguments(PairingApproval())
    @blp.response(201, description="approved: the device collects its token on its next poll")
    @blp.alt_response(404, description="no device of this office shows this code")
    @blp.alt_response(409, description="the code is shown by another kind of device")
    @blp.alt_response(410, description="the code has expired or was used")
    def post(self, body: dict[str, Any], office: str) -> dict[str, Any]:
        """Approve the code a kiosk or display of the office shows, naming the device."""
        found = office_or_404(office)
        try:
            approved = device_pairing.approve(
                session(),
                found.id,
                body["code"],
                TokenKind(body["kind"]),
                body["name"],
                caller().user_id,
                utcnow(),
            )
        except PairingRefused as refused:
            status, message = refusal_of(refused.reason)
            abort(status, message=message, code=f"pairing_{refused.reason.value}")
        audit.record(
            session(),
            acting(),
            "devices.pair",
            at=utcnow(),
            office_id=found.id,
            target=f"{approved.kind.value}: {approved.name}",
        )
        session().commit()
        return {"kind": approved.kind.value, "name": approved.name, "code": approved.code}


@blp.route(f"{OFFICE}/devices/<id:device>/revoke")
class Revoke(MethodView):
    @blp.allow(MANAGERS, At.OFFICE, REFUSAL)
    @blp.response(200, DeviceOut)
    @blp.alt_response(404, description="no such device in this office")
    def post(self, office: str, device: int) -> dict[str, Any]:
        """Lock a device out: its token stops working (within the token cache's seconds)."""
        token = session().get(ApiToken, device)
        if (
            token is None
            or token.kind is TokenKind.USER
            or token.office_id != office_or_404(office).id
        ):
            abort(404, message=gettext("this office has no such device"), code="device_unknown")
        token.revoked = True
        audit.record(
            session(),
            acting(),
            "devices.revoke",
            at=utcnow(),
            office_id=token.office_id,
            target=f"{token.kind.value}: {token.name}",
            before={"revoked": False},
            after={"revoked": True},
        )
        session().commit()
        auth.forget_token(session(), token.token_hash)
        # Its pages fall back to pairing now, not when they next fail a request.
        live.rooms.device_revoked(token.id)
        return device_view(token)


def device_view(token: ApiToken) -> dict[str, Any]:
    """A device as the devices page lists it, with a kiosk's printer state."""
    return {
        "id": token.id,
        "name": token.name,
        "kind": token.kind.value,
        "counter": token.counter_id,
        "created_at": token.created_at,
        "last_seen_at": token.last_seen_at,
        "revoked": token.revoked,
        "printer": _printer_state(token) if token.kind is TokenKind.KIOSK else None,
    }


def _printer_state(token: ApiToken) -> dict[str, Any]:
    last = session().scalar(
        select(PrintJob)
        .where(PrintJob.kiosk_token_id == token.id)
        .order_by(PrintJob.created_at.desc(), PrintJob.id.desc())
        .limit(1)
    )
    printer = printing.kiosk_printer(token.printer)
    alive = None
    if printer == printing.AGENT:
        alive = token.agent_seen_at is not None and (
            utcnow() - token.agent_seen_at < printing.AGENT_ALIVE
        )
    return {
        "printer": printer,
        "agent_alive": alive,
        "agent_seen_at": token.agent_seen_at,
        "last_job_state": last.state.value if last else None,
        "last_job_reason": last.reason if last else None,
        "last_job_at": last.updated_at if last else None,
    }
