"""The page behind a ticket's QR code: a citizen follows their turn on their phone."""

from __future__ import annotations

from urllib.parse import urlsplit

from display import wait_text
from server.engine.estimates import Estimate
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
    # The counter's name is data, in either script: isolated, it keeps its own direction.
    assert "please go to <bdi>Counter 1</bdi>" in html
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


def call_next(client, tokens: Tokens) -> dict:
    """Counter 1's clerk calls their next citizen."""
    counters = client.get("/api/v1/offices/amol/counters", headers=tokens.header(tokens.clerk))
    first = counters.get_json()[0]
    called = client.post(
        f"/api/v1/counters/{first['id']}/next", headers=tokens.header(tokens.clerk)
    )
    assert called.status_code == 200
    return called.get_json()


def test_a_citizen_with_nobody_ahead_is_told_under_a_minute_as_the_kiosk_says(client, tokens):
    ticket = issue(client, tokens)
    assert ticket["people_ahead"] == 0 and ticket["eta_range"] == [0, 0]
    assert "کمتر از یک دقیقه" in page(client, ticket, "fa")
    english = page(client, ticket, "en")
    assert "under a minute" in english
    assert "0 to 0" not in english


def test_a_wait_of_whole_minutes_is_said_as_the_kiosk_says_it(app):
    with app.test_request_context("/?lang=en"):
        assert wait_text(None) == "unknown"
        assert wait_text(Estimate(seconds=0, low=0, high=0)) == "under a minute"
        assert wait_text(Estimate(seconds=20, low=0, high=50)) == "0 to 1 minutes"
        assert wait_text(Estimate(seconds=120, low=120, high=120)) == "about 2 minutes"
        assert wait_text(Estimate(seconds=300, low=130, high=470)) == "2 to 8 minutes"
    with app.test_request_context("/"):
        assert wait_text(Estimate(seconds=0, low=0, high=0)) == "کمتر از یک دقیقه"
        assert wait_text(Estimate(seconds=300, low=130, high=470)) == "۲ تا ۸ دقیقه"


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
    assert '<bdi class="new-number">B-۰۰۱</bdi>' in persian
    assert f'href="{new_path}"' in persian

    english = page(client, moved, "en")
    assert 'Your new number is <bdi class="new-number">B-001</bdi>' in english
    assert f'href="{new_path}?lang=en"' in english  # the link keeps the language

    # The new ticket's own page is the one that follows the citizen's turn from here.
    assert 'http-equiv="refresh"' in page(client, successor, "en")
