"""The wall display (an office's live queue and the chime of each call) and a citizen's
own ticket page, the link of the ticket's QR code."""

from __future__ import annotations

from flask import Blueprint, Flask, abort, render_template
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from display import ticket_status
from display.voice import web as voice_web
from server import limits
from server.engine import NotFound, office_by_code, zone
from server.engine_settings import engine_settings
from server.extensions import db
from server.models import Office, Service
from server.wording import page_language

bp = Blueprint(
    "display",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/display/static",
)


@bp.get("/display/<string(maxlength=32):office>")
def board(office: str) -> ResponseReturnValue:
    """The wall board; the device's token arrives once as ``?token=`` and is kept by the browser."""
    found = office_by_code(db.session, office)
    if found is None:
        abort(404)
    return render_template("display/board.html", office=found)


@bp.get("/t/<string(maxlength=64):token>")
@limits.ticket_page_limits
def ticket(token: str) -> ResponseReturnValue:
    """A citizen's own ticket on their phone (the QR code's link): where they stand, live."""
    session = db.session
    try:
        found = ticket_status.open_link(session, token)
    except NotFound:
        # A friendly page in the citizen's language, still a 404 for anything that checks.
        return render_template("display/ticket_missing.html"), 404
    state = ticket_status.read_state(session, found.id, engine_settings())
    names = session.execute(
        select(Office.name_fa, Office.name_en, Service.name_fa, Service.name_en)
        .join(Service, Service.office_id == Office.id)
        .where(Service.id == found.service_id)
    ).one()
    return render_template(
        "display/ticket.html",
        token=token,
        status=ticket_status.status_payload(state, page_language()),
        names=names,
        issued_at=found.issued_at.astimezone(zone(found.timezone)),
    )


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.register_blueprint(voice_web.bp)
