"""The audit log: every change of an office's set-up is kept with who, when, before and after."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from server.cli import main
from tests.api.helpers import send
from tests.conftest import Tokens

AUDIT = "/offices/amol/audit"


def settings(client: FlaskClient, token: str, body: dict) -> None:
    response = send(client, "PATCH", "/offices/amol/display-settings", token, json=body)
    assert response.status_code == 200, response.get_data(as_text=True)


def test_a_settings_change_is_logged_with_only_what_changed(client: FlaskClient, tokens: Tokens):
    settings(client, tokens.manager, {"volume": 40, "message": "بسته تا ساعت ۱۰"})
    settings(client, tokens.admin, {"volume": 40})  # nothing changes: an empty entry
    entries = send(client, "GET", AUDIT, tokens.manager).get_json()
    newest, first = entries
    assert first["actor"] == "manager" and first["action"] == "display_settings.change"
    assert first["target"] == "amol"
    assert first["before"] == {"volume": 80, "message": None}
    assert first["after"] == {"volume": 40, "message": "بسته تا ساعت ۱۰"}
    assert newest["actor"] == "admin" and newest["before"] == newest["after"] == {}


def test_the_log_is_filtered_by_who_and_what(client: FlaskClient, tokens: Tokens):
    settings(client, tokens.manager, {"volume": 40})
    settings(client, tokens.admin, {"volume": 50})
    by_admin = send(client, "GET", f"{AUDIT}?actor=admin", tokens.admin).get_json()
    assert [e["after"] for e in by_admin] == [{"volume": 50}]
    other = send(client, "GET", f"{AUDIT}?action=tickets.cancel", tokens.admin).get_json()
    assert other == []
    long_ago = send(client, "GET", f"{AUDIT}?from=2020-01-01&to=2020-01-31", tokens.admin)
    assert long_ago.get_json() == []


def test_a_change_from_the_command_line_is_logged_as_such(app: Flask, client, tokens: Tokens):
    result = app.test_cli_runner().invoke(main, ["office", "message", "amol", "سلام"])
    assert result.exit_code == 0, result.output
    (entry,) = send(client, "GET", AUDIT, tokens.manager).get_json()
    assert entry["actor"] == "command line" and entry["after"] == {"message": "سلام"}


def test_clerks_devices_and_other_offices_read_no_log(client: FlaskClient, tokens: Tokens):
    for token in (tokens.clerk, tokens.kiosk, tokens.display, tokens.other_clerk):
        assert send(client, "GET", AUDIT, token).status_code == 403
