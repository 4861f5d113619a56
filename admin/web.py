"""The administration pages: ``/admin`` (the offices one looks after; administrators add
offices and import province files), and per office ``setup`` (the office, its services
and counters), ``staff``, ``devices`` (pair a kiosk or display by its code, list and
revoke devices) and ``display`` (the wall display's message and voice)."""

from __future__ import annotations

from flask import Blueprint, Flask, Response, render_template
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_smorest import abort

from server.auth import managed_offices, require_signed_in
from server.engine import office_by_code
from server.extensions import db
from server.models import Role

bp = Blueprint(
    "admin",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/admin/static",
)


@bp.get("/admin")
def offices_page() -> ResponseReturnValue:
    """The offices the signed-in manager or administrator looks after."""
    user = require_signed_in(db.session)
    if user.role not in (Role.ADMIN, Role.MANAGER):
        abort(403, message=gettext("Only the office's managers look after its set-up."))
    return _no_store(render_template("admin/offices.html", office=None, user=user))


@bp.get("/admin/<string(maxlength=32):office>/setup")
def setup_page(office: str) -> ResponseReturnValue:
    """The office's services and counters (and, for administrators, the office itself)."""
    return _page("admin/setup.html", office)


@bp.get("/admin/<string(maxlength=32):office>/staff")
def staff_page(office: str) -> ResponseReturnValue:
    """The office's clerks and managers: add, change, disable, give a new password."""
    return _page("admin/staff.html", office)


@bp.get("/admin/<string(maxlength=32):office>/devices")
def devices_page(office: str) -> ResponseReturnValue:
    """The office's devices, for its managers and administrators."""
    return _page("admin/devices.html", office)


@bp.get("/admin/<string(maxlength=32):office>/display")
def display_page(office: str) -> ResponseReturnValue:
    """The office's wall display settings: the message, the voice and its quiet hours."""
    return _page("admin/display.html", office)


def _page(template: str, office: str) -> Response:
    """An administration page of an office, for its managers and administrators."""
    user = require_signed_in(db.session)
    found = office_by_code(db.session, office)
    if found is None:
        abort(404)
    allowed = user.role is Role.ADMIN or (
        user.role is Role.MANAGER
        and (
            found.id == user.office_id
            or found.id in managed_offices(db.session, user.user_id, user.role)
        )
    )
    if not allowed:
        abort(403, message=gettext("Only the office's managers look after its set-up."))
    return _no_store(render_template(template, office=found, user=user))


def _no_store(page: str) -> Response:
    response = Response(page)
    response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
