"""The dashboard's pages: ``/manager/<office>`` for one office, ``/manager`` for a region."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, Flask, Response, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_smorest import abort
from marshmallow import ValidationError
from sqlalchemy import select

from server import audit
from server.api.audit import AuditQuery, window
from server.auth import managed_offices, require_signed_in
from server.engine import OfficeFacts, office_by_code, zone
from server.extensions import db
from server.models import Office, Role
from server.staff_sessions import StaffUser

bp = Blueprint(
    "manager",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/manager/static",
)


@bp.get("/manager/<string(maxlength=32):office>")
def office_page(office: str) -> ResponseReturnValue:
    """One office's dashboard, for its manager, a regional manager over it, or an administrator."""
    user, found = _signed_in_over(office)
    return _page("manager/office.html", office=found, user=user, regional=len(_overseen(user)) > 1)


@bp.get("/manager")
def region_page() -> ResponseReturnValue:
    """The offices a manager oversees, compared (administrators: every office)."""
    user = require_signed_in(db.session)
    ids = _overseen(user)
    if not ids:
        abort(403, message=gettext("This dashboard is for the managers of the office."))
    offices = db.session.scalars(select(Office).where(Office.id.in_(ids)).order_by(Office.code))
    return _page("manager/region.html", offices=list(offices), user=user)


@bp.get("/manager/<string(maxlength=32):office>/audit")
def audit_page(office: str) -> ResponseReturnValue:
    """Who changed what in the office's set-up, filtered by dates, action and who."""
    user, found = _signed_in_over(office)
    try:
        asked = AuditQuery().load(request.args)
    except ValidationError:
        asked = AuditQuery().load({})
    start, end = window(found.timezone, asked["first"], asked["last"])
    local = zone(found.timezone)
    entries = audit.entries(
        db.session, found.id, start, end, action=asked["action"], actor=asked["actor"]
    )
    return _page(
        "manager/audit.html",
        office=found,
        user=user,
        entries=entries,
        zone=local,
        first=start.astimezone(local).date(),
        last=(end - timedelta(seconds=1)).astimezone(local).date(),
        action=asked["action"],
        actor=asked["actor"],
        actions=_action_names(),
    )


def _action_names() -> dict[str, str]:
    """Each audited action as the page names it."""
    return {
        "display_settings.change": gettext("Wall display settings changed"),
        "devices.pair": gettext("Device paired"),
        "devices.revoke": gettext("Device revoked"),
        "tickets.cancel": gettext("Waiting tickets cancelled"),
    }


def _signed_in_over(office: str) -> tuple[StaffUser, OfficeFacts]:
    """The signed-in user and the office, if it is one they oversee (404, 403 otherwise)."""
    user = require_signed_in(db.session)
    found = office_by_code(db.session, office)
    if found is None:
        abort(404)
    if found.id not in _overseen(user):
        abort(403, message=gettext("This dashboard is for the managers of the office."))
    return user, found


def _overseen(user: StaffUser) -> set[int]:
    """The offices whose dashboard this user may read (none for clerks)."""
    if user.role is Role.ADMIN:
        return set(db.session.scalars(select(Office.id)))
    if user.role is not Role.MANAGER:
        return set()
    own = {user.office_id} if user.office_id is not None else set()
    return own | managed_offices(db.session, user.user_id, user.role)


def _page(template: str, **context: object) -> Response:
    response = Response(render_template(template, **context))
    response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
