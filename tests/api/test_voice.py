"""Spoken calls over the API: what a display plays for a call, and the display settings."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from server.display_settings import silent
from server.extensions import db
from server.live.sockets import socketio
from server.models import Office
from tests.api.helpers import act, assert_error, call_next, issue, send
from tests.sign_in import csrf_token, sign_in
from tests.voice import built_clips

TEHRAN = ZoneInfo("Asia/Tehran")


@pytest.fixture(scope="module", autouse=True)
def _clips() -> None:
    built_clips()


@pytest.fixture
def called(client, tokens, counters) -> dict:
    """Ticket B-001 (civil) called to counter 2."""
    ticket = issue(client, tokens.kiosk, "civil")
    assert call_next(client, tokens.clerk2, counters[2])["id"] == ticket["id"]
    return ticket


def announcement(client, token, ticket_id, office="amol"):
    return send(client, "GET", f"/offices/{office}/tickets/{ticket_id}/announcement", token)


def update(app, **fields) -> None:
    with app.app_context():
        office = db.session.scalar(select(Office).where(Office.code == "amol"))
        for name, value in fields.items():
            setattr(office, name, value)
        db.session.commit()


def shifted(minutes: int) -> time:
    return (datetime.now(TEHRAN) + timedelta(minutes=minutes)).time().replace(microsecond=0)


def clip_names(body) -> list[str]:
    return ["/".join(url.split("?")[0].split("/")[-2:]) for url in body["clips"]]


def test_a_display_gets_the_clips_of_a_called_ticket_in_order(client, tokens, called):
    response = announcement(client, tokens.display, called["id"])
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert {k: body[k] for k in ("ticket", "number", "counter", "volume")} == {
        "ticket": called["id"],
        "number": "B-001",
        "counter": 2,
        "volume": 0.8,
    }
    assert clip_names(body) == [
        "common/chime",
        *("fa/number", "fa/letter_b", "fa/n1", "common/pause"),
        *("fa/to_counter", "fa/n2", "fa/please_go"),
    ]
    assert all(url.startswith("/voice/amol/") and "?v=" in url for url in body["clips"])


def test_every_clip_url_is_served(client, tokens, called):
    for url in announcement(client, tokens.display, called["id"]).get_json()["clips"]:
        response = client.get(url)
        assert response.status_code == 200 and response.mimetype == "audio/wav"
        response.close()


def test_two_languages_are_spoken_in_the_office_order_after_one_chime(app, client, tokens, called):
    update(app, voice_languages="en,fa", voice_volume=55)
    body = announcement(client, tokens.display, called["id"]).get_json()
    names = clip_names(body)
    assert names.count("common/chime") == 1 and names[0] == "common/chime"
    assert names.index("en/number") < names.index("common/gap") < names.index("fa/number")
    assert body["volume"] == 0.55


def test_a_recall_is_announced_again_and_a_serving_ticket_too(client, tokens, called):
    act(client, tokens.clerk2, called["id"], "recall")
    assert announcement(client, tokens.display, called["id"]).get_json()["clips"]
    act(client, tokens.clerk2, called["id"], "start")
    assert announcement(client, tokens.display, called["id"]).get_json()["clips"]


def test_nothing_is_spoken_when_the_voice_is_off(app, client, tokens, called):
    update(app, voice_enabled=False)
    body = announcement(client, tokens.display, called["id"]).get_json()
    assert body["clips"] == [] and body["number"] == "B-001"


def test_nothing_is_spoken_in_quiet_hours(app, client, tokens, called):
    update(app, quiet_from=shifted(-60), quiet_until=shifted(60))
    assert announcement(client, tokens.display, called["id"]).get_json()["clips"] == []
    update(app, quiet_from=shifted(60), quiet_until=shifted(120))
    assert announcement(client, tokens.display, called["id"]).get_json()["clips"]


@pytest.mark.parametrize(
    ("local", "quiet"),
    [
        ("23:30", True),
        ("02:00", True),
        ("06:59", True),
        ("07:00", False),
        ("12:00", False),
        ("21:59", False),
        ("22:00", True),
    ],
)
def test_quiet_hours_may_span_midnight_in_the_office_time(local, quiet):
    office = Office(
        voice_enabled=True,
        voice_languages="fa",
        timezone="Asia/Tehran",
        quiet_from=time(22, 0),
        quiet_until=time(7, 0),
    )
    hour, minute = map(int, local.split(":"))
    at = datetime(2026, 3, 1, hour, minute, tzinfo=TEHRAN).astimezone(UTC)
    assert silent(office, at) is quiet


def test_quiet_hours_within_a_day():
    office = Office(
        voice_enabled=True,
        voice_languages="fa",
        timezone="Asia/Tehran",
        quiet_from=time(12, 0),
        quiet_until=time(13, 30),
    )
    at = datetime(2026, 3, 1, 12, 45, tzinfo=TEHRAN)
    assert silent(office, at) and not silent(office, at + timedelta(hours=1))


def test_a_ticket_of_another_office_is_404(client, tokens, called):
    response = announcement(client, tokens.other_display, called["id"], office="babol")
    assert_error(response, 404, "not_found")


def test_a_ticket_not_at_a_counter_is_409(client, tokens, counters, called):
    waiting = issue(client, tokens.kiosk, "post")
    error = assert_error(announcement(client, tokens.display, waiting["id"]), 409, "not_at_counter")
    assert error["message"] == "نوبت C-001 اکنون به باجه‌ای فراخوانده نشده است"
    act(client, tokens.clerk2, called["id"], "complete")
    assert_error(announcement(client, tokens.display, called["id"]), 409, "not_at_counter")


@pytest.mark.parametrize(
    ("who", "office", "status"),
    [
        ("display", "amol", 200),
        ("clerk", "amol", 200),
        ("admin", "amol", 200),
        ("kiosk", "amol", 403),
        ("other_display", "amol", 403),
        (None, "amol", 401),
    ],
)
def test_who_may_ask_for_an_announcement(client, tokens, called, who, office, status):
    token = getattr(tokens, who) if who else None
    assert announcement(client, token, called["id"], office).status_code == status


# --- display settings -----------------------------------------------------------------


def settings(client, token, office="amol"):
    return send(client, "GET", f"/offices/{office}/display-settings", token)


def patch(client, token, body, office="amol"):
    return send(client, "PATCH", f"/offices/{office}/display-settings", token, json=body)


def test_a_display_reads_the_default_settings(client, tokens):
    response = settings(client, tokens.display)
    assert response.status_code == 200
    assert response.get_json() == {
        "voice": True,
        "languages": ["fa"],
        "volume": 80,
        "quiet_hours": None,
        "message": None,
    }


def test_the_manager_changes_the_settings(client, tokens):
    body = {
        "voice": False,
        "languages": ["fa", "en"],
        "volume": 35,
        "quiet_hours": {"from": "22:00", "until": "07:00"},
        "message": "  ساعت کاری   امروز تا ۱۴  ",
    }
    response = patch(client, tokens.manager, body)
    assert response.status_code == 200, response.get_data(as_text=True)
    expected = {**body, "message": "ساعت کاری امروز تا ۱۴"}
    assert response.get_json() == expected
    assert settings(client, tokens.display).get_json() == expected


def test_a_change_names_only_what_it_changes_and_null_clears(client, tokens):
    patch(client, tokens.manager, {"quiet_hours": {"from": "13:00", "until": "14:00"}})
    patch(client, tokens.manager, {"message": "hello"})
    assert settings(client, tokens.display).get_json()["quiet_hours"] == {
        "from": "13:00",
        "until": "14:00",
    }
    cleared = patch(client, tokens.admin, {"quiet_hours": None, "message": "   "}).get_json()
    assert cleared["quiet_hours"] is None and cleared["message"] is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"languages": []}, "languages"),
        ({"languages": ["fa", "fa"]}, "languages"),
        ({"languages": ["de"]}, "languages"),
        ({"languages": "fa"}, "languages"),
        ({"volume": 101}, "volume"),
        ({"volume": -1}, "volume"),
        ({"volume": "80"}, "volume"),
        ({"volume": 50.5}, "volume"),
        ({"voice": "yes"}, "voice"),
        ({"quiet_hours": {"from": "22:00"}}, "quiet_hours"),
        ({"quiet_hours": {"from": "24:00", "until": "07:00"}}, "quiet_hours"),
        ({"quiet_hours": {"from": "7:00", "until": "08:00"}}, "quiet_hours"),
        ({"quiet_hours": {"from": "22:00", "until": "22:00"}}, "quiet_hours"),
        ({"quiet_hours": "22:00-07:00"}, "quiet_hours"),
        ({"message": "x" * 301}, "message"),
        ({"message": 5}, "message"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_invalid_settings_are_refused_with_the_field_named(client, tokens, body, field):
    error = assert_error(patch(client, tokens.manager, body), 422, "invalid")
    assert field in error["details"]
    assert settings(client, tokens.display).get_json()["volume"] == 80


@pytest.mark.parametrize(
    ("who", "status"),
    [("clerk", 403), ("display", 403), ("kiosk", 403), ("other_clerk", 403), (None, 401)],
)
def test_only_the_manager_or_an_administrator_changes_settings(client, tokens, who, status):
    token = getattr(tokens, who) if who else None
    assert patch(client, token, {"volume": 10}).status_code == status
    assert settings(client, tokens.display).get_json()["volume"] == 80


def test_a_signed_in_manager_must_send_the_csrf_token(client, tokens):
    sign_in(client, "manager")
    path = "/api/v1/offices/amol/display-settings"
    assert_error(client.patch(path, json={"volume": 10}), 403, "csrf")
    headers = {"X-CSRF-Token": csrf_token(client)}
    assert client.patch(path, json={"volume": 10}, headers=headers).status_code == 200


def test_other_offices_settings_are_not_readable(client, tokens):
    assert settings(client, tokens.other_display).status_code == 403
    assert settings(client, tokens.kiosk).status_code == 403


def test_a_change_reaches_the_office_displays_at_once_and_no_other(app, client, tokens):
    amol = socketio.test_client(app, auth={"token": tokens.display})
    babol = socketio.test_client(app, auth={"token": tokens.other_display})
    amol.get_received(), babol.get_received()
    patch(client, tokens.manager, {"volume": 40, "message": "بسته تا ساعت ۱۰"})
    received = [e for e in amol.get_received() if e["name"] == "settings"]
    assert [e["args"][0] for e in received] == [
        {
            "voice": True,
            "languages": ["fa"],
            "volume": 40,
            "quiet_hours": None,
            "message": "بسته تا ساعت ۱۰",
        }
    ]
    assert not [e for e in babol.get_received() if e["name"] == "settings"]
    amol.disconnect(), babol.disconnect()


def test_the_settings_are_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert "patch" in paths["/api/v1/offices/{office}/display-settings"]
    assert "get" in paths["/api/v1/offices/{office}/tickets/{ticket}/announcement"]
