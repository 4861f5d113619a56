"""The wall display: an office's live queue, and the chime of each call."""

from __future__ import annotations

from flask import Blueprint, Flask, abort, render_template
from flask.typing import ResponseReturnValue

from server.engine.facts import office_by_code
from server.extensions import db

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


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
