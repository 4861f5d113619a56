"""The wall display (an office's live queue and the chime of each call) and a citizen's
own ticket page, the link of the ticket's QR code."""

from __future__ import annotations

from flask import Blueprint, Flask, abort, current_app, render_template
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from server.engine.clock import zone
from server.engine.errors import NotFound
from server.engine.facts import office_by_code
from server.engine.tickets import by_public_token, where_it_stands
from server.extensions import db
from server.models import Office, Service, TicketStatus

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
def ticket(token: str) -> ResponseReturnValue:
    """A citizen's own ticket on their phone (the QR code's link): where they stand, live."""
    session = db.session
    try:
        found = by_public_token(session, token)
    except NotFound:
        abort(404)
    standing = where_it_stands(session, found, current_app.extensions["nobat.engine_settings"])
    names = session.execute(
        select(Office.name_fa, Office.name_en, Service.name_fa, Service.name_en)
        .join(Service, Service.office_id == Office.id)
        .where(Service.id == found.service_id)
    ).one()
    return render_template(
        "display/ticket.html",
        ticket=found,
        standing=standing,
        names=names,
        issued_at=found.issued_at.astimezone(zone(found.timezone)),
        # Still in the queue: the page refreshes itself (no socket: the link carries no token).
        refresh=found.status in (TicketStatus.WAITING, TicketStatus.CALLED),
    )


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
