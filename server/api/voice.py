"""Spoken calls and the wall display's settings: what a display says for a call, and how the
office manager sets the voice, quiet hours and the scrolling message."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_babel import gettext
from flask_smorest import abort
from marshmallow import Schema, fields
from sqlalchemy import select

from display.voice.announce import announcement
from display.voice.web import clip_url
from server.api.access import MANAGERS, STAFF, At, Who
from server.api.blueprint import Blueprint
from server.api.context import acting, office_or_404, session
from server.display_settings import DisplaySettings, broadcast, change, silent, values
from server.display_settings import languages as spoken_languages
from server.engine.clock import utcnow
from server.engine.errors import N_
from server.models import Counter, Office, Ticket, TicketStatus

blp = Blueprint(
    "voice",
    __name__,
    url_prefix="/api/v1/offices",
    description="Spoken calls and the wall display's settings",
)

OFFICE = "<string(maxlength=32):office>"
AT_COUNTER = (TicketStatus.CALLED, TicketStatus.SERVING)


class AnnouncementOut(Schema):
    ticket = fields.Integer()
    number = fields.String(metadata={"description": "e.g. `B-007`"})
    counter = fields.Integer(metadata={"description": "the counter's number"})
    clips = fields.List(
        fields.String(),
        metadata={"description": "audio URLs to play in order; empty: the office is silent now"},
    )
    volume = fields.Float(metadata={"description": "0 to 1"})


@blp.route(f"/{OFFICE}/tickets/<id:ticket>/announcement")
class Announcement(MethodView):
    @blp.allow(STAFF | {Who.DISPLAY}, At.OFFICE)
    @blp.refusal(404, "no office with this code, or no ticket with this id in it")
    @blp.refusal(409, "`not_at_counter`: the ticket is not called to a counter now")
    @blp.response(200, AnnouncementOut)
    def get(self, office: str, ticket: int) -> dict[str, Any]:
        """What a wall display plays for a ticket called to a counter: a chime and a sentence
        in each of the office's languages, as clip URLs (none in quiet hours or voice off)."""
        found = office_or_404(office)
        row = (
            session()
            .execute(
                select(Ticket.number, Ticket.status, Counter.number)
                .outerjoin(Counter, Counter.id == Ticket.counter_id)
                .where(Ticket.id == ticket, Ticket.office_id == found.id)
            )
            .first()
        )
        if row is None:
            abort(404, message=gettext("no ticket %(id)s", id=ticket))
        number, status, counter = row
        if status not in AT_COUNTER or counter is None:
            abort(
                409,
                code="not_at_counter",
                message=gettext("ticket %(number)s is not called to a counter now", number=number),
            )
        settings = session().get(Office, found.id)
        clips: list[str] = []
        if not silent(settings, utcnow()):
            urls = (
                clip_url(found.code, c)
                for c in announcement(number, counter, spoken_languages(settings))
            )
            # A clip without a file (clips not built) is left out rather than failing the call.
            clips = [url for url in urls if url is not None]
        return {
            "ticket": ticket,
            "number": number,
            "counter": counter,
            "clips": clips,
            "volume": settings.voice_volume / 100,
        }


@blp.route(f"/{OFFICE}/display-settings")
class Settings(MethodView):
    @blp.allow(STAFF | {Who.DISPLAY}, At.OFFICE)
    @blp.response(200, DisplaySettings)
    def get(self, office: str) -> dict[str, Any]:
        """The office's wall display settings: voice, languages, volume, quiet hours, message."""
        found = office_or_404(office)
        return values(session().get(Office, found.id))

    @blp.allow(MANAGERS, At.OFFICE, N_("only the office's manager may change its displays"))
    @blp.arguments(DisplaySettings(), required=False)
    @blp.response(200, DisplaySettings)
    def patch(self, changes: dict[str, Any], office: str) -> dict[str, Any]:
        """Change some of the settings (the office's manager, or an administrator); every
        display of the office receives them at once as a ``settings`` event."""
        found = office_or_404(office)
        settings = session().get(Office, found.id)
        change(session(), settings, changes, acting(), utcnow())
        session().commit()
        broadcast(settings)
        return values(settings)
