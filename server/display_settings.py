"""An office's wall display settings: the voice (on or off, languages, volume, quiet hours) and
the scrolling message. One schema validates them for the API and the CLI alike; a change is
sent to the office's sockets as a ``settings`` event."""

from __future__ import annotations

import re
from datetime import datetime, time
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from sqlalchemy.orm import Session

from display.voice.vocabulary import LANGUAGES
from server import audit
from server.api.schemas import StrictBoolean
from server.engine.clock import zone
from server.live.rooms import office_room
from server.live.sockets import socketio
from server.models import Office

MESSAGE_LENGTH = 300
_CLOCK = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])")


class ClockTime(fields.Field):
    """A local time of day as ``HH:MM`` (24-hour)."""

    def _serialize(self, value: time | None, attr: Any, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else value.strftime("%H:%M")

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> time:
        match = _CLOCK.fullmatch(value) if isinstance(value, str) else None
        if match is None:
            raise ValidationError("a time of day as HH:MM, e.g. 22:00")
        return time(int(match.group(1)), int(match.group(2)))


class Message(fields.String):
    """The scrolling line: one line of text, spaces tidied; empty means no message."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str | None:
        text = " ".join(super()._deserialize(value, attr, data, **kwargs).split())
        if len(text) > MESSAGE_LENGTH:
            raise ValidationError(f"at most {MESSAGE_LENGTH} characters")
        return text or None


def _distinct(values: list[str]) -> None:
    if len(set(values)) != len(values):
        raise ValidationError("each language once")


class QuietHours(Schema):
    start = ClockTime(required=True, data_key="from", metadata={"description": "local time"})
    end = ClockTime(required=True, data_key="until", metadata={"description": "local time"})

    @validates_schema
    def _not_empty(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if data["start"] == data["end"]:
            raise ValidationError("quiet hours start and end at different times", "until")


class DisplaySettings(Schema):
    """The settings of an office's wall displays; in a change, every field is optional."""

    voice = StrictBoolean(metadata={"description": "spoken calls on or off"})
    languages = fields.List(
        fields.String(validate=validate.OneOf(LANGUAGES)),
        validate=[validate.Length(min=1), _distinct],
        metadata={"description": "spoken in this order after one chime", "uniqueItems": True},
    )
    volume = fields.Integer(strict=True, validate=validate.Range(0, 100))
    quiet_hours = fields.Nested(
        QuietHours,
        allow_none=True,
        metadata={"description": "no voice between these local times (may span midnight)"},
    )
    message = Message(
        allow_none=True,
        metadata={"description": f"the scrolling line, up to {MESSAGE_LENGTH} characters"},
    )


def display_settings(office: Office) -> dict[str, Any]:
    """The office's display settings as the API, the CLI and the ``settings`` event give them."""
    return DisplaySettings().dump(values(office))


def values(office: Office) -> dict[str, Any]:
    """The office's display settings as Python values, before ``DisplaySettings`` dumps them."""
    quiet = None
    if office.quiet_from is not None and office.quiet_until is not None:
        quiet = {"start": office.quiet_from, "end": office.quiet_until}
    return {
        "voice": office.voice_enabled,
        "languages": languages(office),
        "volume": office.voice_volume,
        "quiet_hours": quiet,
        "message": office.display_message,
    }


def languages(office: Office) -> list[str]:
    """The languages the office's calls are spoken in, in order."""
    return [code for code in office.voice_languages.split(",") if code in LANGUAGES]


def change(
    session: Session, office: Office, changes: dict[str, Any], actor: audit.Actor, at: datetime
) -> None:
    """Apply validated ``changes`` (``DisplaySettings().load``) to the office and log who
    changed what in the audit log; not committed."""
    before = DisplaySettings().dump(values(office))
    _apply(office, changes)
    after = DisplaySettings().dump(values(office))
    audit.record(
        session,
        actor,
        "display_settings.change",
        at=at,
        office_id=office.id,
        target=office.code,
        before=before,
        after=after,
    )


def _apply(office: Office, changes: dict[str, Any]) -> None:
    if "voice" in changes:
        office.voice_enabled = changes["voice"]
    if "languages" in changes:
        office.voice_languages = ",".join(changes["languages"])
    if "volume" in changes:
        office.voice_volume = changes["volume"]
    if "quiet_hours" in changes:
        quiet = changes["quiet_hours"] or {"start": None, "end": None}
        office.quiet_from, office.quiet_until = quiet["start"], quiet["end"]
    if "message" in changes:
        office.display_message = changes["message"]


def silent(office: Office, at: datetime) -> bool:
    """Whether the office's calls go unspoken at ``at``: voice off, or within quiet hours."""
    if not office.voice_enabled or not languages(office):
        return True
    start, end = office.quiet_from, office.quiet_until
    if start is None or end is None:
        return False
    now = at.astimezone(zone(office.timezone)).time()
    # Hours that wrap midnight (22:00–07:00) are the evening's part or the morning's.
    return start <= now < end if start < end else now >= start or now < end


def broadcast(office: Office) -> dict[str, Any]:
    """Send the office's settings to its sockets (after the change is committed)."""
    payload = display_settings(office)
    socketio.emit("settings", payload, to=office_room(office.id))
    return payload
