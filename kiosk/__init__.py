"""The kiosk: citizens pick a service and take a ticket (and the print agent beside it)."""

from __future__ import annotations

from flask import Blueprint, Flask, abort, render_template
from flask.typing import ResponseReturnValue

from server.engine.facts import office_by_code
from server.extensions import db

bp = Blueprint(
    "kiosk",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/kiosk/static",
)


@bp.get("/kiosk/<string(maxlength=32):office>")
def start(office: str) -> ResponseReturnValue:
    """The kiosk screen; its device token arrives once as ``?token=`` and is kept."""
    found = office_by_code(db.session, office)
    if found is None:
        abort(404)
    return render_template("kiosk/kiosk.html", office=found)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
