"""The start page and the error page: plain pages in the language asked for, links keeping it."""

from __future__ import annotations

import re

PERSIAN_DIGITS = re.compile("[۰-۹]")


def text(client, path: str) -> str:
    response = client.get(path, headers={"Accept": "text/html"})
    assert response.mimetype == "text/html"
    return response.get_data(as_text=True)


def test_the_english_start_page_counts_in_ascii_digits(client, tokens):
    html = text(client, "/?lang=en")
    assert "Services: 3 · Counters: 3" in html
    assert not PERSIAN_DIGITS.search(html.replace(">فارسی<", ""))


def test_the_persian_start_page_counts_in_persian_digits(client, tokens):
    assert "خدمات: ۳ · باجه‌ها: ۳" in text(client, "/")


def test_the_start_page_links_each_office_display_and_kiosk_in_its_language(client, tokens):
    english = text(client, "/?lang=en")
    assert 'href="/display/amol?lang=en"' in english
    assert 'href="/kiosk/amol?lang=en"' in english
    persian = text(client, "/")
    assert 'href="/display/amol"' in persian
    assert 'href="/kiosk/amol"' in persian


def test_code_in_persian_sentences_is_isolated_left_to_right(client, tokens):
    persian = text(client, "/")
    assert 'با <code dir="ltr">?token=…</code> باز کنید' in persian
    assert '<code dir="ltr">nobat token create</code>' in persian


def test_the_english_error_page_keeps_its_language_and_digits(client):
    html = text(client, "/no-such-page?lang=en")
    assert "<h1>404</h1>" in html
    assert 'href="/?lang=en"' in html
    assert "<h1>۴۰۴</h1>" in text(client, "/no-such-page")
