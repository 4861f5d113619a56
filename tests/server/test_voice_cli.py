"""``nobat voice build`` and ``nobat office voice|message`` as an operator types them."""

from __future__ import annotations

import json

import pytest

from server.cli import main
from server.live.sockets import socketio


def nobat(app, *args: str):
    return app.test_cli_runner().invoke(main, list(args))


def shown(result) -> dict:
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_the_voice_build_command_makes_what_is_missing(app):
    result = nobat(app, "voice", "build")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("voice clips: made ")


def test_without_options_the_settings_are_shown(app, tokens):
    assert shown(nobat(app, "office", "voice", "amol")) == {
        "voice": True,
        "languages": ["fa"],
        "volume": 80,
        "quiet_hours": None,
        "message": None,
    }


def test_an_operator_sets_the_voice_and_the_displays_hear_of_it(app, tokens):
    display = socketio.test_client(app, auth={"token": tokens.display})
    display.get_received()
    settings = shown(
        nobat(app, "office", "voice", "amol", "--off", "--languages", "fa,en", "--volume", "60",
              "--quiet", "22:00-07:00")
    )  # fmt: skip
    assert settings["voice"] is False and settings["languages"] == ["fa", "en"]
    assert settings["volume"] == 60
    assert settings["quiet_hours"] == {"from": "22:00", "until": "07:00"}
    assert [e["args"][0] for e in display.get_received() if e["name"] == "settings"] == [settings]
    display.disconnect()
    cleared = shown(nobat(app, "office", "voice", "amol", "--on", "--no-quiet"))
    assert cleared["voice"] is True and cleared["quiet_hours"] is None


def test_the_message_is_set_and_cleared(app, tokens):
    assert shown(nobat(app, "office", "message", "amol", " امروز تا ۱۴ "))["message"] == (
        "امروز تا ۱۴"
    )
    assert shown(nobat(app, "office", "message", "amol", "--clear"))["message"] is None


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (["voice", "amol", "--languages", "fa,de"], "languages"),
        (["voice", "amol", "--languages", "fa,fa"], "each language once"),
        (["voice", "amol", "--volume", "150"], "volume"),
        (["voice", "amol", "--quiet", "22-07"], "HH:MM"),
        (["voice", "amol", "--quiet", "22:00-07:00", "--no-quiet"], "not both"),
        (["message", "amol", "x" * 301], "at most 300"),
        (["message", "amol"], "--clear"),
        (["voice", "nowhere", "--on"], "no office nowhere"),
    ],
)
def test_invalid_settings_are_refused_as_the_api_refuses_them(app, tokens, args, problem):
    result = nobat(app, "office", *args)
    assert result.exit_code != 0
    assert problem in result.output
    assert shown(nobat(app, "office", "voice", "amol"))["volume"] == 80
