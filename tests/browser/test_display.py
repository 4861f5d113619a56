"""The wall display in Chromium: live board, calls as they happen, and a visible lost connection.

Starting a demo server takes most of a test's time, so the tests that only look at
the board share one (``board``), with its tokens made once; those that need the
office as seeded (the first number of the day) or stop the server get their own.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from harness.demo import DemoServer, open_device, seeded_demo

pytestmark = pytest.mark.browser


@dataclass
class Board:
    """The shared demo server and its tokens."""

    server: DemoServer
    display: str
    kiosk: str
    clerk: str

    @property
    def url(self) -> str:
        return self.server.url


@pytest.fixture(scope="module")
def board(tmp_path_factory) -> Iterator[Board]:
    server = seeded_demo(tmp_path_factory.mktemp("display"))
    server.env["NOBAT_DISPLAY_WAITS_SECONDS"] = "1"  # waits follow the queue within a second
    with ThreadPoolExecutor(3) as pool:  # the tokens are made while the server starts
        tokens = [
            pool.submit(server.token, *args)
            for args in (
                ("--device", "display", "--office", "amol"),
                ("--device", "kiosk", "--office", "amol"),
                ("--user", "clerk1"),
            )
        ]
        server.start()
        found = Board(server, *(token.result() for token in tokens))
    yield found
    server.stop()


def test_the_display_keeps_its_token_and_shows_each_call_live(demo, page):
    display = demo.token("--device", "display", "--office", "amol")
    kiosk = demo.token("--device", "kiosk", "--office", "amol")
    clerk = demo.token("--user", "clerk1")

    open_device(page, f"{demo.url}/display/amol", display)
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

    page.reload()  # the token survives a reload
    expect(page.locator('[data-counter="1"] .ticket-number')).to_have_text("B-۰۰۱")


def test_a_lost_connection_is_shown_and_the_board_catches_up_after_it(demo, page):
    display = demo.token("--device", "display", "--office", "amol")
    kiosk = demo.token("--device", "kiosk", "--office", "amol")
    clerk = demo.token("--user", "clerk1")
    open_device(page, f"{demo.url}/display/amol", display)
    expect(page.locator("#counters li")).to_have_count(4)
    expect(page.locator("#banner")).to_be_hidden()

    demo.stop()
    expect(page.locator("#banner")).to_be_visible(timeout=15000)

    demo.start()
    demo.post("/api/v1/offices/amol/tickets", kiosk, {"service": "national-id"})
    demo.post("/api/v1/counters/1/next", clerk)
    expect(page.locator("#banner")).to_be_hidden(timeout=20000)
    expect(page.locator('[data-counter="1"] .ticket-number')).to_have_text("B-۰۰۱", timeout=20000)


def test_a_display_without_a_token_explains_how_to_set_it_up(board, page):
    page.goto(f"{board.url}/display/amol")
    expect(page.locator("#setup")).to_be_visible()


def test_a_display_with_a_foreign_token_never_shows_another_office(board, page):
    open_device(page, f"{board.url}/display/amol", "nbt_not_a_token")
    expect(page.locator("#counters li")).to_have_count(0)


def test_a_refused_display_says_so_explains_the_setup_and_forgets_the_token(board, page):
    open_device(page, f"{board.url}/display/amol", "nbt_garbage")
    expect(page.locator("#setup-refused")).to_have_text("توکن این نمایشگر پذیرفته نشد.")
    expect(page.locator("#setup")).to_be_visible()
    expect(page.locator("#pair-code")).to_have_text(re.compile(r"^[۰-۹]{6}$"))
    expect(page.locator("#setup")).not_to_contain_text("nobat")  # no set-up help for citizens
    expect(page.locator("#banner")).to_be_hidden()  # nothing is being retried
    assert page.evaluate("localStorage.getItem('nobat.display.amol')") is None

    page.reload()  # forgotten: the next visit asks for a token instead of failing again
    expect(page.locator("#setup")).to_be_visible()
    expect(page.locator("#setup-refused")).to_be_hidden()


HEADER_ITEMS = (("office", ".wall-head h1"), ("sound", "#sound"), ("clock", "#clock"))


def boxes_overlap(a: dict, b: dict) -> bool:
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    )


@pytest.mark.parametrize("lang", ["en", "fa"])
def test_the_header_items_never_cover_each_other(board, page, lang):
    open_device(page, f"{board.url}/display/amol?lang={lang}", board.display)
    expect(page.locator("#counters li")).to_have_count(4)
    # The sound control shows only where the browser blocks sound: its longest wording.
    page.evaluate(
        """() => { const b = document.getElementById('sound');
                   b.textContent = JSON.parse(document.getElementById('wall').dataset.text)
                       .sound_blocked; b.hidden = false; }"""
    )
    for width, height in ((1024, 768), (1366, 768), (1920, 1080)):
        page.set_viewport_size({"width": width, "height": height})
        items = {name: page.locator(selector).bounding_box() for name, selector in HEADER_ITEMS}
        for name, box in items.items():
            assert box is not None and box["width"] > 0, (width, name)
            assert box["x"] >= 0 and box["x"] + box["width"] <= width, (width, name, box)
        names = list(items)
        for i, first in enumerate(names):
            for second in names[i + 1 :]:
                assert not boxes_overlap(items[first], items[second]), (width, first, second, items)
        # The whole office name shows: nothing of it is cut off or hidden under another item.
        assert page.evaluate(
            "(() => { const h = document.querySelector('.wall-head h1');"
            " return h.scrollWidth <= h.clientWidth; })()"
        ), width


def test_the_clock_shows_the_office_time_zone(demo, page):
    database = demo.env["NOBAT_DATABASE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(database) as connection:
        connection.execute("UPDATE offices SET timezone = 'Pacific/Kiritimati' WHERE code = 'amol'")
    page.goto(f"{demo.url}/display/amol?lang=en")
    clock = page.locator("#clock")
    expect(clock).to_have_text(re.compile(r"\d\d:\d\d"))
    shown = re.search(r"(\d\d):(\d\d)", clock.inner_text()).group(0)
    now = datetime.now(ZoneInfo("Pacific/Kiritimati"))
    assert shown in {f"{t:%H:%M}" for t in (now - timedelta(minutes=1), now)}, shown


def test_the_english_board_names_counters_in_english_each_name_isolated(board, page):
    open_device(page, f"{board.url}/display/amol?lang=en", board.display)
    expect(page.locator("#counters li")).to_have_count(4)
    expect(page.locator("#counters bdi.counter-name")).to_have_count(4)
    expect(page.locator('[data-counter="1"] bdi.counter-name')).to_have_text("Counter 1")

    board.server.post("/api/v1/offices/amol/tickets", board.kiosk, {"service": "national-id"})
    _status, called = board.server.post("/api/v1/counters/1/next", board.clerk)
    recent = page.locator("#recent .recent-call").first
    expect(recent).to_have_text(f"{called['number']} → Counter 1")
    expect(recent.locator("bdi")).to_have_text("Counter 1")
    expect(page.locator("#now-counter")).to_have_text("Counter 1")


def test_waits_follow_the_queue_also_for_a_service_nobody_waits_for_yet(board, page):
    """Birth certificates are served only at counter 1, after the national ID cards there."""
    board.server.post("/api/v1/counters/1/open", board.clerk)
    open_device(page, f"{board.url}/display/amol", board.display)
    expect(page.locator("#counters li")).to_have_count(4)
    births = page.locator(".service", has_text="شناسنامه")
    _status, queue = board.server.get("/api/v1/offices/amol/queue", board.display)
    before = next(s for s in queue["services"] if s["code"] == "birth-certificate")["eta_range"]

    for _ in range(2):
        board.server.post("/api/v1/offices/amol/tickets", board.kiosk, {"service": "national-id"})
    _status, queue = board.server.get("/api/v1/offices/amol/queue", board.display)
    service = next(s for s in queue["services"] if s["code"] == "birth-certificate")
    assert service["waiting"] == 0 and service["eta_range"][1] > before[1]
    # The wall words the wait as the kiosk, the printed ticket and the phone do.
    expect(births.locator(".eta")).to_have_text(service["eta_text"]["fa"])


def test_the_display_page_loads_without_a_console_error(board, page):
    errors: list[str] = []

    def console(message) -> None:
        if message.type == "error":
            errors.append(message.text)

    def response(answer) -> None:
        if answer.status >= 400:
            errors.append(f"{answer.status} {answer.url}")

    page.on("console", console)
    page.on("response", response)
    open_device(page, f"{board.url}/display/amol", board.display)
    expect(page.locator("#counters li")).to_have_count(4)
    page.wait_for_load_state("networkidle")
    assert errors == []
