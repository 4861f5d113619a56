"""``nobat voice build`` (the announcement clips) and ``nobat office voice|message`` (an
office's wall display settings, validated and sent to its displays as the API does)."""

from __future__ import annotations

import json
from typing import Any

import click
from flask.cli import with_appcontext
from marshmallow import ValidationError
from sqlalchemy import select

from display.voice import synth
from server import audit
from server.display_settings import DisplaySettings, broadcast, change, display_settings
from server.engine.clock import utcnow
from server.extensions import db
from server.models import Office


@click.group("voice")
def voice_group() -> None:
    """The spoken calls' audio."""


@voice_group.command("build")
@click.option("--force", is_flag=True, help="regenerate every clip, not only the missing ones")
def voice_build(force: bool) -> None:
    """Generate the announcement clips that are missing or out of date (espeak-ng, sox)."""
    try:
        report = synth.build(force=force)
    except synth.VoiceBuildError as error:
        raise click.ClickException(str(error)) from None
    removed = f", removed {len(report.removed)}" if report.removed else ""
    click.echo(f"voice clips: made {len(report.made)}, up to date {report.kept}{removed}")


@click.group("office")
def office_group() -> None:
    """An office's settings."""


@office_group.command("voice")
@click.argument("code")
@click.option("--on/--off", "voice", default=None, help="spoken calls on or off")
@click.option("--languages", help="spoken in this order, e.g. fa or fa,en")
@click.option("--volume", type=int, help="0 to 100")
@click.option("--quiet", help="no voice between two local times, e.g. 22:00-07:00")
@click.option("--no-quiet", is_flag=True, help="no quiet hours")
@with_appcontext
def office_voice(
    code: str,
    voice: bool | None,
    languages: str | None,
    volume: int | None,
    quiet: str | None,
    no_quiet: bool,
) -> None:
    """Set the voice of an office's wall displays; with no option, show the settings."""
    if quiet and no_quiet:
        raise click.UsageError("give --quiet FROM-UNTIL or --no-quiet, not both")
    asked: dict[str, Any] = {}
    if voice is not None:
        asked["voice"] = voice
    if languages is not None:
        asked["languages"] = [part.strip() for part in languages.split(",")]
    if volume is not None:
        asked["volume"] = volume
    if quiet is not None:
        start, _, end = quiet.partition("-")
        asked["quiet_hours"] = {"from": start.strip(), "until": end.strip()}
    if no_quiet:
        asked["quiet_hours"] = None
    _update(code, asked)


@office_group.command("message")
@click.argument("code")
@click.argument("text", required=False)
@click.option("--clear", is_flag=True, help="remove the message")
@with_appcontext
def office_message(code: str, text: str | None, clear: bool) -> None:
    """Set the line that scrolls along the foot of an office's wall displays."""
    if (text is None) == (not clear):
        raise click.UsageError('give the message as "text", or --clear')
    _update(code, {"message": None if clear else text})


def _update(code: str, asked: dict[str, Any]) -> None:
    """Validate ``asked`` as the API does, apply and commit it, tell the displays, show all.

    The displays hear of it at once where the servers share Redis (``NOBAT_REDIS_URL``);
    an embedded server's displays, at their next snapshot.
    """
    office = db.session.scalar(select(Office).where(Office.code == code))
    if office is None:
        raise click.ClickException(f"no office {code}")
    if asked:
        try:
            changes = DisplaySettings().load(asked)
        except ValidationError as error:
            raise click.ClickException(_problems(error.normalized_messages())) from None
        change(db.session, office, changes, audit.COMMAND_LINE, utcnow())
        db.session.commit()
        broadcast(office)
    click.echo(json.dumps(display_settings(office), ensure_ascii=False, indent=2))


def _problems(messages: dict[str, Any], prefix: str = "") -> str:
    """Marshmallow's nested messages as lines an operator reads: ``volume: …``."""
    lines = []
    for name, value in messages.items():
        if isinstance(value, dict):
            lines.append(_problems(value, f"{prefix}{name}."))
        else:
            lines.append(f"{prefix}{name}: {' '.join(str(v) for v in value)}")
    return "\n".join(lines)
