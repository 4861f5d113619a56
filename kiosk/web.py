"""The kiosk page: citizens pick a service and take a ticket, in Persian first."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

import qrcode
from flask import Blueprint, Flask, Response, abort, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import force_locale
from markupsafe import Markup
from sqlalchemy import select

from server.engine import office_by_code
from server.extensions import db
from server.models import Ticket
from server.ticket_links import linked_token

bp = Blueprint(
    "kiosk",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/kiosk/static",
)

#: The page's languages: Persian first, whatever the kiosk browser's own language is.
LANGUAGES = ("fa", "en")


@bp.get("/kiosk/<string(maxlength=32):office>")
def start(office: str) -> ResponseReturnValue:
    """The kiosk screen; its device token arrives once as ``?token=`` and is kept.

    The page carries its texts in both languages (the citizen switches without a
    reload) and starts in Persian unless it is opened with ``?lang=en``.
    """
    found = office_by_code(db.session, office)
    if found is None:
        abort(404)
    lang = "en" if request.args.get("lang") == "en" else "fa"
    response = Response(
        render_template(
            "kiosk/kiosk.html",
            office=found,
            lang=lang,
            dir="rtl" if lang == "fa" else "ltr",
        )
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/kiosk/qr.svg")
def qr_code() -> ResponseReturnValue:
    """A QR code of one of this server's own ticket links (``?data=<status_url>``), as SVG.

    Only links to tickets that exist are drawn: the kiosk shows the code of the
    ticket it has just issued, and nothing else can be turned into a code here.
    """
    data = request.args.get("data", "")
    if len(data) > 200:
        abort(404)
    link = urlsplit(data)
    token = linked_token(link.path)
    if (
        link.scheme not in ("http", "https")
        or link.netloc != request.host
        or token is None
        or link.query
        or link.fragment
    ):
        abort(404)
    known = db.session.scalar(select(Ticket.id).where(Ticket.public_token == token))
    if known is None:
        abort(404)
    response = Response(qr_svg(data), mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response


def qr_svg(data: str, border: int = 2) -> str:
    """The code as one SVG path of horizontal runs (crisp at any size, a few kB)."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=border)
    code.add_data(data)
    code.make(fit=True)
    matrix = code.get_matrix()
    size = len(matrix)
    runs = []
    for y, row in enumerate(matrix):
        x = 0
        while x < size:
            if row[x]:
                start_x = x
                while x < size and row[x]:
                    x += 1
                runs.append(f"M{start_x} {y}h{x - start_x}v1h-{x - start_x}z")
            else:
                x += 1
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" '
        f'shape-rendering="crispEdges"><rect width="{size}" height="{size}" fill="#fff"/>'
        f'<path fill="#000" d="{"".join(runs)}"/></svg>'
    )


@bp.context_processor
def _kiosk_helpers() -> dict[str, Callable[..., Markup]]:
    return {"in_locale": in_locale}


def in_locale(lang: str, macro: Callable[[], str]) -> Markup:
    """Render a template macro with its ``_()`` texts in ``lang`` (both languages in one page)."""
    if lang not in LANGUAGES:
        raise ValueError(f"unsupported language {lang!r}")
    with force_locale(lang):
        return Markup(macro())


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
