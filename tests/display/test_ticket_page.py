"""The page behind a ticket's QR code: a citizen follows their turn on their phone."""

from __future__ import annotations

from urllib.parse import urlsplit

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


def test_a_waiting_citizen_sees_their_number_and_the_people_ahead(client, tokens):
    issue(client, tokens)
    second = issue(client, tokens)
    html = page(client, second)
    assert "B-۰۰۲" in html
    assert "افراد پیش از شما" in html and "<dd>۱</dd>" in html
    assert 'http-equiv="refresh"' in html  # it keeps itself up to date
    assert 'dir="rtl"' in html


def test_a_called_citizen_is_sent_to_the_counter(client, tokens):
    ticket = issue(client, tokens, "insurance")
    counters = client.get("/api/v1/offices/amol/counters", headers=tokens.header(tokens.clerk))
    first = counters.get_json()[0]
    called = client.post(
        f"/api/v1/counters/{first['id']}/next", headers=tokens.header(tokens.clerk)
    )
    assert called.get_json()["id"] == ticket["id"]
    html = page(client, ticket, "en")
    assert "please go to Counter 1" in html
    assert 'dir="ltr"' in html


def test_a_finished_ticket_stops_refreshing(client, tokens):
    ticket = issue(client, tokens)
    client.post(f"/api/v1/tickets/{ticket['id']}/cancel", headers=tokens.header(tokens.clerk))
    html = page(client, ticket, "en")
    assert "no longer in the queue" in html
    assert "refresh" not in html


def test_an_unknown_link_is_a_page_that_says_so(client, tokens):
    response = client.get("/t/not-a-real-ticket-link-at-all", headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "۴۰۴" in response.get_data(as_text=True)
