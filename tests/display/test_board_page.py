"""The wall board's page as served: what it tells the script before any socket connects."""

from __future__ import annotations

from server.extensions import db
from server.models import Office


def test_the_board_tells_its_clock_the_office_time_zone(app, client, tokens):
    with app.app_context():
        db.session.query(Office).filter_by(code="amol").update({"timezone": "Asia/Kabul"})
        db.session.commit()
    html = client.get("/display/amol").get_data(as_text=True)
    assert 'data-timezone="Asia/Kabul"' in html


def test_a_board_without_a_device_asks_for_pairing_in_its_language(client, tokens):
    html = client.get("/display/amol?lang=en").get_data(as_text=True)
    assert "This display's token was refused." in html
    assert "enters this code on the devices page" in html and "nobat token" not in html
    persian = client.get("/display/amol").get_data(as_text=True)
    assert "توکن این نمایشگر پذیرفته نشد." in persian


def test_pages_name_their_icon_and_the_icon_is_served(client):
    html = client.get("/").get_data(as_text=True)
    assert '<link rel="icon" type="image/svg+xml" href="/static/favicon.svg">' in html
    for path in ("/static/favicon.svg", "/favicon.ico"):
        response = client.get(path)
        assert response.status_code == 200
        assert response.mimetype == "image/svg+xml"
        response.close()
