"""The clerk's counter page: call the next citizen and everything around it, keyboard first.

The page talks to the server only through the API and the live socket, both
authenticated by the browser's session cookie (``server/signin.py``); it holds no
credential a script could read.
"""

from __future__ import annotations

from flask import Blueprint, Flask, Response, render_template
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_smorest import abort

from server.auth import require_signed_in
from server.engine import office_by_code
from server.extensions import db
from server.models import PAUSE_REASONS, PRIORITY_REASONS

bp = Blueprint(
    "counter",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/counter/static",
)


@bp.get("/counter/<string(maxlength=32):office>")
def page(office: str) -> ResponseReturnValue:
    """The counter page of an office, for its own staff (administrators: any office)."""
    user = require_signed_in(db.session)
    found = office_by_code(db.session, office)
    if found is None:
        abort(404)
    if not user.belongs_to(found.id):
        abort(403, message=gettext("This counter page belongs to another office."))
    response = Response(
        render_template(
            "counter/counter.html",
            office=found,
            user=user,
            pause_reasons=PAUSE_REASONS,
            priority_reasons=PRIORITY_REASONS,
        )
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
