"""The start page and the browser assets installed from npm (served here: no CDN)."""

from __future__ import annotations

from flask import Blueprint, Flask, abort, current_app, render_template, send_from_directory
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from jinja2 import pass_context
from jinja2.runtime import Context
from sqlalchemy import or_, select

from server import limits
from server.auth import signed_in
from server.extensions import db
from server.models import ManagerOffice, Office, PrintJob, Role, Ticket
from server.persian import jalali, persian_digits

bp = Blueprint("web", __name__)

#: npm packages whose files the pages may load, and the folder inside each that is served.
ASSET_PACKAGES = {
    "socket.io-client": "dist",
    "vazirmatn": "",
    "chart.js": "dist",
}


@bp.get("/")
def index() -> ResponseReturnValue:
    """A plain start page: to anyone, the way to sign in; to signed-in staff, the pages
    of their offices and how to set up their screens. A public screen shows no list of
    offices and no API paths."""
    staff = signed_in(db.session)
    offices: list[Office] = []
    if staff is not None:
        chosen = select(Office).order_by(Office.code)
        if staff.role is not Role.ADMIN:
            region = select(ManagerOffice.office_id).where(ManagerOffice.user_id == staff.user_id)
            chosen = chosen.where(or_(Office.id == staff.office_id, Office.id.in_(region)))
        offices = list(db.session.scalars(chosen))
    return render_template("index.html", offices=offices, staff=staff)


@bp.get("/favicon.ico")
def favicon() -> ResponseReturnValue:
    """The icon, for clients that ask for it without reading a page's ``<link rel="icon">``."""
    return send_from_directory(
        current_app.static_folder, "favicon.svg", mimetype="image/svg+xml", max_age=86400
    )


@bp.get("/assets/<package>/<path:filename>")
def asset(package: str, filename: str) -> ResponseReturnValue:
    """A file of an allowed npm package, cached for a day."""
    if package not in ASSET_PACKAGES:
        abort(404)
    root = current_app.config["ASSETS_DIR"] / package / ASSET_PACKAGES[package]
    return send_from_directory(root, filename, max_age=86400)


@bp.get("/t/<string(maxlength=64):token>/ticket.png")
@limits.ticket_page_limits
def ticket_preview(token: str) -> ResponseReturnValue:
    """The printed ticket as the preview printer drew it (the kiosk shows it on screen)."""
    preview = db.session.scalar(
        select(PrintJob.preview)
        .join(Ticket, Ticket.id == PrintJob.ticket_id)
        .where(Ticket.public_token == token, PrintJob.preview.is_not(None))
        .order_by(PrintJob.id.desc())
    )
    if preview is None:
        abort(404)
    return send_from_directory(current_app.config["INSTANCE"] / "previews", preview, max_age=3600)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.add_template_filter(persian_digits)
    app.add_template_filter(digits)
    app.add_template_filter(jalali)
    app.context_processor(_language)


@pass_context
def digits(context: Context, value: object) -> str:
    """``value`` as text in the page's digits: Persian on Persian pages, ASCII in English."""
    return persian_digits(value) if context.get("lang", "fa") == "fa" else str(value)


def _language() -> dict[str, str]:
    """``lang`` and ``dir`` for every template: Persian pages are right-to-left."""
    lang = get_locale().language if get_locale() else "fa"
    return {"lang": lang, "dir": "rtl" if lang == "fa" else "ltr"}
