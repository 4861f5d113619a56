"""The page behind a ticket's QR code, as the server renders it (before any JavaScript)."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from urllib.parse import urlsplit

from sqlalchemy import update

from server.extensions import db
from server.models import Counter, Ticket
from tests.conftest import Tokens


def issue(client, tokens: Tokens, service: str = "civil") -> dict:
    response = client.post(
        "/api/v1/offices/amol/tickets",
        json={"service": service},
        headers=tokens.header(tokens.kiosk),
    )
    assert response.status_code == 201
    return response.get_json()


def page(client, ticket: dict, lang: str = "fa") -> str:
    response = client.get(f"{urlsplit(ticket['status_url']).path}?lang={lang}")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    return response.get_data(as_text=True)


def status_in(html: str) -> dict:
    """The status the page starts from, as its script reads it."""
    found = re.search(r"data-initial='(.*?)'", html)
    return json.loads(found.group(1))


def shown(html: str) -> list[str]:
    """The states the page shows (the others are in it, hidden, for the script)."""
    return re.findall(r'data-when="(\w+)">', html)


def call_next(client, tokens: Tokens) -> dict:
    """Counter 1's clerk calls their next citizen."""
    counters = client.get("/api/v1/offices/amol/counters", headers=tokens.header(tokens.clerk))
    first = counters.get_json()[0]
    called = client.post(
        f"/api/v1/counters/{first['id']}/next", headers=tokens.header(tokens.clerk)
    )
    assert called.status_code == 200
    return called.get_json()


def name_counters(app) -> None:
    """Counter 1 gets its Persian and English names, as an office would set them."""
    with app.app_context():
        db.session.execute(
            update(Counter).where(Counter.number == 1).values(name="باجه ۱", name_en="Window 1")
        )
        db.session.commit()


def test_a_waiting_citizen_sees_their_number_and_the_people_ahead(client, tokens):
    issue(client, tokens)
    second = issue(client, tokens)
    html = page(client, second)
    assert "B-۰۰۲" in html
    assert "افراد پیش از شما" in html and '<dd id="ahead">۱</dd>' in html
    assert shown(html) == ["waiting"]
    assert 'dir="rtl"' in html
    status = status_in(html)
    assert status["status"] == "waiting" and status["ahead"] == 1 and not status["closed"]


def test_a_live_page_has_a_module_and_a_fallback_for_browsers_without_one(client, tokens):
    html = page(client, issue(client, tokens))
    assert '<script type="module" src="/display/static/ticket.js">' in html
    # Old browsers without modules reload; without JavaScript at all the meta tag does.
    assert '<script nomodule src="/display/static/ticket-reload.js">' in html
    assert '<noscript><meta http-equiv="refresh" content="20"></noscript>' in html
    assert 'aria-live="polite"' in html


def test_a_called_citizen_is_sent_to_the_counter_by_its_name_in_the_page_language(
    app, client, tokens
):
    name_counters(app)
    ticket = issue(client, tokens, "insurance")
    assert call_next(client, tokens)["id"] == ticket["id"]
    english = page(client, ticket, "en")
    # The counter's name is data, in either script: isolated, it keeps its own direction.
    assert 'Please go to <bdi class="counter-name">Window 1</bdi>' in english
    assert shown(english) == ["called"]
    assert 'dir="ltr"' in english
    persian = page(client, ticket, "fa")
    assert 'لطفاً به <bdi class="counter-name">باجه ۱</bdi> بروید' in persian
    assert status_in(persian)["counter"] == "باجه ۱"


def test_a_recalled_citizen_is_told_they_are_called_again(client, tokens):
    ticket = issue(client, tokens, "insurance")
    call_next(client, tokens)
    assert 'id="recalled" class="recalled" hidden' in page(client, ticket, "en")
    client.post(f"/api/v1/tickets/{ticket['id']}/recall", headers=tokens.header(tokens.clerk))
    html = page(client, ticket, "en")
    assert '<p id="recalled" class="recalled">You are called again.</p>' in html
    assert status_in(html)["recalls"] == 1


def test_a_finished_ticket_says_so_and_stops_following(client, tokens):
    ticket = issue(client, tokens)
    client.post(f"/api/v1/tickets/{ticket['id']}/cancel", headers=tokens.header(tokens.clerk))
    html = page(client, ticket, "en")
    assert shown(html) == ["cancelled"] and "This ticket was cancelled." in html
    assert status_in(html)["closed"] is True
    assert "refresh" not in html and "ticket.js" not in html and "nomodule" not in html


def test_a_served_ticket_thanks_the_citizen(client, tokens):
    ticket = issue(client, tokens, "insurance")
    call_next(client, tokens)
    client.post(f"/api/v1/tickets/{ticket['id']}/complete", headers=tokens.header(tokens.clerk))
    html = page(client, ticket, "fa")
    assert shown(html) == ["done"] and "سپاسگزاریم" in html


def test_the_wait_is_worded_as_every_screen_words_it(client, tokens):
    ticket = issue(client, tokens)
    assert "no counter is serving this now" in page(client, ticket, "en")
    counters = client.get("/api/v1/offices/amol/counters", headers=tokens.header(tokens.clerk))
    second = counters.get_json()[1]  # it serves civil first
    opened = client.post(
        f"/api/v1/counters/{second['id']}/open", headers=tokens.header(tokens.clerk)
    )
    assert opened.status_code == 200
    # Nobody ahead: called at once, or when the citizen at the counter is done.
    assert "تا ۷ دقیقه" in page(client, ticket, "fa")
    english = page(client, ticket, "en")
    assert "up to 7 minutes" in english
    assert "0 to " not in english


def test_a_transferred_citizen_is_given_the_new_number_and_its_link(client, tokens):
    moved = issue(client, tokens, "insurance")
    assert call_next(client, tokens)["id"] == moved["id"]
    response = client.post(
        f"/api/v1/tickets/{moved['id']}/transfer",
        json={"service": "civil"},
        headers=tokens.header(tokens.clerk),
    )
    assert response.status_code == 200
    successor = response.get_json()
    new_path = urlsplit(successor["status_url"]).path

    persian = page(client, moved, "fa")
    assert '<bdi class="new-number" id="new-number">B-۰۰۱</bdi>' in persian
    assert f'href="{new_path}"' in persian
    assert shown(persian) == ["transferred"]

    english = page(client, moved, "en")
    assert 'Your new number is <bdi class="new-number" id="new-number">B-001</bdi>' in english
    assert f'href="{new_path}?lang=en"' in english  # the link keeps the language
    assert status_in(english)["successor"] == {"number": "B-001", "url": f"{new_path}?lang=en"}

    # The new ticket's own page is the one that follows the citizen's turn from here.
    assert "ticket.js" in page(client, successor, "en")


def test_an_unknown_link_is_a_friendly_page_in_the_citizens_language(client, tokens):
    response = client.get("/t/not-a-real-ticket-link-at-all", headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    persian = response.get_data(as_text=True)
    assert "این پیوند نوبت کار نمی‌کند" in persian and 'dir="rtl"' in persian
    english = client.get("/t/not-a-real-ticket-link-at-all?lang=en").get_data(as_text=True)
    assert "This ticket link does not work" in english
    assert "Scan the QR code on your ticket again" in english


def test_a_link_of_an_earlier_day_has_expired(app, client, tokens):
    ticket = issue(client, tokens)
    with app.app_context():
        found = db.session.get(Ticket, ticket["id"])
        found.business_date -= timedelta(days=1)
        db.session.commit()
    response = client.get(f"{urlsplit(ticket['status_url']).path}?lang=en")
    assert response.status_code == 404
    assert "This ticket link does not work" in response.get_data(as_text=True)
