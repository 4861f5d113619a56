"""The wall display in Chromium: live board, calls as they happen, and a visible lost connection."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser


def test_the_display_keeps_its_token_and_shows_each_call_live(demo, page):
    display = demo.token("--device", "display", "--office", "amol")
    kiosk = demo.token("--device", "kiosk", "--office", "amol")
    clerk = demo.token("--user", "clerk1")

    page.goto(f"{demo.url}/display/amol?token={display}")
    expect(page.locator("#counters li")).to_have_count(4)
    assert "token" not in page.url  # kept by the browser, gone from the address bar

    demo.post("/api/v1/offices/amol/tickets", kiosk, {"service": "national-id"})
    demo.post("/api/v1/offices/amol/tickets", kiosk, {"service": "national-id"})
    expect(page.locator(".service", has_text="کارت ملی")).to_contain_text("۲")

    status, ticket = demo.post("/api/v1/counters/1/next", clerk)
    assert (status, ticket["number"]) == (200, "B-001")
    card = page.locator('[data-counter="1"]')
    expect(card.locator(".ticket-number")).to_have_text("B-۰۰۱")
    expect(card).to_have_class(re.compile("flash"))
    expect(page.locator(".service", has_text="کارت ملی")).to_contain_text("۱")
    screenshot(page, "display-fa")

    page.reload()  # the token survives a reload
    expect(page.locator('[data-counter="1"] .ticket-number')).to_have_text("B-۰۰۱")


def test_a_lost_connection_is_shown_and_the_board_catches_up_after_it(demo, page):
    display = demo.token("--device", "display", "--office", "amol")
    kiosk = demo.token("--device", "kiosk", "--office", "amol")
    clerk = demo.token("--user", "clerk1")
    page.goto(f"{demo.url}/display/amol?token={display}")
    expect(page.locator("#counters li")).to_have_count(4)
    expect(page.locator("#banner")).to_be_hidden()

    demo.stop()
    expect(page.locator("#banner")).to_be_visible(timeout=15000)

    demo.start()
    demo.post("/api/v1/offices/amol/tickets", kiosk, {"service": "national-id"})
    demo.post("/api/v1/counters/1/next", clerk)
    expect(page.locator("#banner")).to_be_hidden(timeout=20000)
    expect(page.locator('[data-counter="1"] .ticket-number')).to_have_text("B-۰۰۱", timeout=20000)


def test_a_display_without_a_token_explains_how_to_set_it_up(demo, page):
    page.goto(f"{demo.url}/display/amol")
    expect(page.locator("#setup")).to_be_visible()


def test_a_display_with_a_foreign_token_never_shows_another_office(demo, page):
    clerk_elsewhere = demo.token("--user", "admin")  # an admin token without a named office
    page.goto(f"{demo.url}/display/amol?token=nbt_not_a_token")
    expect(page.locator("#counters li")).to_have_count(0)
    assert clerk_elsewhere
