"""The start page and the error page: plain pages in the language asked for, links keeping it."""

from __future__ import annotations

import re

from tests.sign_in import sign_in

PERSIAN_DIGITS = re.compile("[۰-۹]")


def text(client, path: str) -> str:
    response = client.get(path, headers={"Accept": "text/html"})
    assert response.mimetype == "text/html"
    return response.get_data(as_text=True)


def test_a_public_screen_shows_no_office_and_no_api_path(client, tokens):
    html = text(client, "/")
    assert "amol" not in html and "/api/v1/" not in html and "nobat token" not in html
    assert 'href="/login"' in html


def test_signed_in_staff_see_only_the_offices_they_work_in(client, tokens):
    sign_in(client, "clerk1")
    html = text(client, "/")
    assert 'href="/counter/amol"' in html and "babol" not in html


def test_the_english_start_page_counts_in_ascii_digits(client, tokens):
    sign_in(client, "admin")
    html = text(client, "/?lang=en")
    assert "Services: 3 · Counters: 3" in html
    assert not PERSIAN_DIGITS.search(html.replace(">فارسی<", ""))


def test_the_persian_start_page_counts_in_persian_digits(client, tokens):
    sign_in(client, "admin")
    assert "خدمات: ۳ · باجه‌ها: ۳" in text(client, "/")


def test_the_start_page_links_each_office_display_and_kiosk_in_its_language(client, tokens):
    sign_in(client, "admin")
    english = text(client, "/?lang=en")
    assert 'href="/display/amol?lang=en"' in english
    assert 'href="/kiosk/amol?lang=en"' in english
    persian = text(client, "/")
    assert 'href="/display/amol"' in persian
    assert 'href="/kiosk/amol"' in persian


def test_code_in_persian_sentences_is_isolated_left_to_right(client, tokens):
    sign_in(client, "admin")
    persian = text(client, "/")
    assert '<code dir="ltr">nobat token create</code>' in persian


def test_the_english_error_page_keeps_its_language_and_digits(client):
    html = text(client, "/no-such-page?lang=en")
    assert "<h1>404</h1>" in html
    assert 'href="/?lang=en"' in html
    assert "<h1>۴۰۴</h1>" in text(client, "/no-such-page")
