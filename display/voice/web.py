"""Serving the clips: ``/voice/<office>/<set>/<clip>``, the office's own recording or the
generated clip, cached by browsers for good under a versioned URL."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, current_app, request, send_file, url_for
from flask.typing import ResponseReturnValue

from display.voice import recordings
from display.voice.announce import Clip
from display.voice.vocabulary import is_clip
from server.engine import office_by_code
from server.extensions import db

bp = Blueprint("voice_clips", __name__)

YEAR = 365 * 24 * 3600


def recordings_root() -> Path:
    """Where offices keep their own recordings: ``<instance>/voice``."""
    return Path(current_app.config["INSTANCE"]) / "voice"


def clip_url(office: str, clip: Clip) -> str | None:
    """The versioned URL of a clip as this office says it (None: no file says it)."""
    found = recordings.source(recordings_root(), office, clip)
    if found is None:
        return None
    return url_for(
        "voice_clips.clip", office=office, clip_set=clip.set, name=clip.name, v=found.version
    )


CLIP = "<string(maxlength=32):office>/<string(maxlength=8):clip_set>/<string(maxlength=32):name>"


@bp.get(f"/voice/{CLIP}")
def clip(office: str, clip_set: str, name: str) -> ResponseReturnValue:
    """One clip of an office's announcements; no credentials: clips hold no data."""
    if not is_clip(clip_set, name) or office_by_code(db.session, office) is None:
        abort(404)
    found = recordings.source(recordings_root(), office, Clip(clip_set, name))
    if found is None:
        abort(404)
    current = request.args.get("v") == found.version
    response = send_file(found.path, mimetype=found.mimetype, max_age=YEAR if current else 0)
    # Under its own version the file never changes; any other URL is checked each time.
    response.cache_control.public = True
    response.cache_control.immutable = current
    response.cache_control.no_cache = None if current else True
    return response
