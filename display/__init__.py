"""The wall display (an office's live queue and the chime of each call) and a citizen's
own ticket page, the link of the ticket's QR code."""

from __future__ import annotations

from flask import Blueprint, Flask, abort, current_app, render_template
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from display.voice import web as voice_web
from printer_drivers.render import estimate_text
from server.engine.clock import zone
from server.engine.errors import NotFound
from server.engine.estimates import Estimate
from server.engine.facts import office_by_code
from server.engine.tickets import by_public_token, where_it_stands
from server.extensions import db
from server.models import Office, Service, Ticket, TicketStatus
from server.printing import printed_labels, whole_minutes

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
    moved = found.status is TicketStatus.TRANSFERRED
    return render_template(
        "display/ticket.html",
        ticket=found,
        standing=standing,
        wait=wait_text(standing.estimate),
        names=names,
        successor=transferred_to(session, found.id) if moved else None,
        issued_at=found.issued_at.astimezone(zone(found.timezone)),
        # Still in the queue: the page refreshes itself (no socket: the link carries no token).
        refresh=found.status in (TicketStatus.WAITING, TicketStatus.CALLED),
    )


def wait_text(estimate: Estimate | None) -> str:
    """The wait in the words of the printed ticket (and the kiosk's), in the page's language."""
    language = "en" if get_locale().language == "en" else "fa"
    return estimate_text(whole_minutes(estimate), language, printed_labels(language))


def transferred_to(session: Session, ticket_id: int) -> Row | None:
    """The number and link token of the ticket a transfer made from this one."""
    # The new ticket is inserted just after the old one: walking the primary key up from
    # the old id finds it in a few rows, however long the table's history.
    return session.execute(
        select(Ticket.number, Ticket.public_token)
        .where(Ticket.id > ticket_id, Ticket.transferred_from_id == ticket_id)
        .order_by(Ticket.id)
        .limit(1)
    ).first()


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.register_blueprint(voice_web.bp)
