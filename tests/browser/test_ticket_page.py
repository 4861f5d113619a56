"""The citizen's ticket page on a phone in Chromium, against a served demo office.

One server for the module; each test starts from a quiet office (every ticket of the day
finished, every counter closed). The clerks act through the API with their tokens. Demo
counter 1 (باجه ۱, "Counter 1") serves national-id (B) first and health-insurance (A)
second; counter 4 serves health-insurance first.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from server.persian import persian_digits
from tests.browser.conftest import screenshot, serious_accessibility_problems
from tests.browser.office import Office

pytestmark = pytest.mark.browser

# What the issue asks of the page: a call shows within a second.
LIVE_MS = 1000
# A waiting page asks again at most every 2 s, plus up to 1.5 s of jitter, after a nudge.
NUDGE_MS = 5000
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
# Records vibrations and tones instead of buzzing (there is no vibrator in a test).
RECORDER = """
window.__vibrations = [];
navigator.vibrate = (pattern) => { window.__vibrations.push(pattern); return true; };
window.__tones = 0;
const start = OscillatorNode.prototype.start;
OscillatorNode.prototype.start = function (...args) {
  window.__tones += 1;
  return start.apply(this, args);
};
"""


@pytest.fixture(scope="module")
def office(tmp_path_factory) -> Iterator[Office]:
    served = Office.serve(tmp_path_factory.mktemp("ticket"))
    yield served
    served.server.stop()


@pytest.fixture(autouse=True)
def _quiet_office(office: Office) -> None:
    office.quiet()


@pytest.fixture
def phone(chromium: Browser) -> Iterator[Page]:
    context = chromium.new_context(**PHONE, locale="fa-IR")
    context.add_init_script(RECORDER)
    yield context.new_page()
    context.close()


def open_ticket(page: Page, ticket: dict, lang: str = "fa") -> Page:
    """The ticket's page, once its socket is live."""
    page.goto(ticket["status_url"] + ("?lang=en" if lang == "en" else ""))
    expect(page.locator("#ticket")).to_have_attribute("data-connection", "live")
    return page


def shown_state(page: Page) -> str:
    return page.locator("#ticket").get_attribute("data-status")


def test_people_ahead_fall_as_the_queue_moves(office, phone):
    office.issue()
    mine = office.issue()
    open_ticket(phone, mine)
    expect(phone.locator("#ahead")).to_have_text("۱")
    office.call()
    expect(phone.locator("#ahead")).to_have_text("۰", timeout=NUDGE_MS)
    assert shown_state(phone) == "waiting"


def test_a_call_alerts_with_the_counter_within_a_second_and_a_recall_alerts_again(office, phone):
    office.issue()
    mine = office.issue()
    office.call()  # the one before: the counter is open, the wait has an estimate
    open_ticket(phone, mine)
    expect(phone.locator("#sound")).to_be_visible()
    screenshot(phone, "ticket-fa-waiting")
    phone.locator("h1").tap()  # the first touch unlocks the sound
    expect(phone.locator("#sound")).to_be_hidden()

    started = time.monotonic()
    office.call()
    called = phone.locator('[data-when="called"]')
    expect(called).to_be_visible(timeout=LIVE_MS)
    expect(called.locator(".counter-name")).to_have_text("باجه ۱", timeout=LIVE_MS)
    assert time.monotonic() - started < LIVE_MS / 1000 + 0.5  # the API round trip too
    expect(called).to_have_class("state called alert alerting")
    assert phone.evaluate("__vibrations.length") == 1
    phone.wait_for_function("() => __tones >= 3")
    expect(phone.locator("#recalled")).to_be_hidden()
    phone.wait_for_function("() => document.getAnimations().length === 0")
    screenshot(phone, "ticket-fa-called")

    office.act(mine, "recall")
    phone.wait_for_function("() => __vibrations.length === 2", timeout=LIVE_MS)
    expect(phone.locator("#recalled")).to_be_visible()
    phone.wait_for_function("() => __tones >= 6")


def test_a_reload_of_a_called_page_does_not_alert_again(office, phone):
    mine = office.issue()
    office.call()
    open_ticket(phone, mine)
    assert shown_state(phone) == "called"
    phone.wait_for_timeout(300)
    assert phone.evaluate("__vibrations.length") == 0


def test_the_english_page_is_english_with_the_english_counter_name(office, phone):
    office.issue(), office.issue()
    mine = office.issue()
    office.call()
    open_ticket(phone, mine, "en")
    expect(phone.locator("html")).to_have_attribute("dir", "ltr")
    expect(phone.locator("h1 bdi")).to_have_text(mine["number"])
    expect(phone.locator("#ahead")).to_have_text("1")
    expect(phone.locator("#wait")).to_contain_text("minute")
    screenshot(phone, "ticket-en-waiting")
    office.call()
    office.call()
    called = phone.locator('[data-when="called"]')
    expect(called).to_contain_text("It is your turn", timeout=LIVE_MS)
    expect(called.locator(".counter-name")).to_have_text("Counter 1")
    phone.wait_for_function("() => document.getAnimations().length === 0")
    screenshot(phone, "ticket-en-called")


def test_a_transferred_page_shows_the_new_number_and_links_to_its_page(office, phone):
    mine = office.issue()
    office.call()
    open_ticket(phone, mine, "en")
    new = office.act(mine, "transfer", {"service": "health-insurance"})
    expect(phone.locator("#new-number")).to_have_text(new["number"], timeout=LIVE_MS)
    expect(phone.locator("#ticket")).to_have_attribute("data-connection", "closed")
    phone.locator("#follow").click()
    expect(phone.locator("h1 bdi")).to_have_text(new["number"])
    assert phone.url.endswith("?lang=en")  # the language comes along
    assert shown_state(phone) == "waiting"


@pytest.mark.parametrize(
    ("action", "words"),
    [("no-show", "did not come to the counter"), ("complete", "Served. Thank you.")],
)
def test_a_finished_ticket_shows_its_closing_state_and_hangs_up(office, phone, action, words):
    mine = office.issue()
    office.call()
    open_ticket(phone, mine, "en")
    office.act(mine, action)
    expect(phone.locator("#status")).to_contain_text(words, timeout=LIVE_MS)
    expect(phone.locator("#ticket")).to_have_attribute("data-connection", "closed")
    expect(phone.locator("#connection")).to_be_hidden()
    phone.reload()
    expect(phone.locator("#status")).to_contain_text(words)
    assert phone.locator("script[type=module]").count() == 0


def test_a_wrong_link_gets_a_friendly_page_in_the_citizens_language(office, phone):
    answer = phone.goto(f"{office.url}/t/this-is-not-a-ticket-link")
    assert answer.status == 404
    expect(phone.locator("h1")).to_have_text("این پیوند نوبت کار نمی‌کند")
    phone.locator("a[lang=en]").click()
    expect(phone.locator("h1")).to_have_text("This ticket link does not work")
    assert serious_accessibility_problems(phone) == []


def test_no_serious_accessibility_problems_waiting_or_called(office, phone):
    mine = office.issue()
    open_ticket(phone, mine)
    assert serious_accessibility_problems(phone) == []
    office.call()
    expect(phone.locator('[data-when="called"]')).to_be_visible(timeout=LIVE_MS)
    phone.wait_for_timeout(2600)  # past the alert's flashing
    assert serious_accessibility_problems(phone) == []


def test_a_lost_connection_is_shown_and_a_fresh_status_follows_the_reconnect(office, phone):
    mine = office.issue()
    open_ticket(phone, mine)
    office.server.stop()
    expect(phone.locator("#connection")).to_be_visible(timeout=15000)
    expect(phone.locator("#connection")).to_have_attribute("role", "status")
    office.server.start()
    office.call()  # while the page is still away
    expect(phone.locator("#connection")).to_be_hidden(timeout=20000)
    expect(phone.locator('[data-when="called"]')).to_be_visible()


def frames_of(page: Page) -> list[str]:
    """Every Socket.IO frame the page receives, as text."""
    frames: list[str] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda frame: frames.append(frame)))
    return frames


def test_a_page_receives_nothing_about_other_tickets(office, chromium):
    """Two citizens' pages through issues, a call, a recall, a transfer, a no-show, a
    completion and a counter closing: each page's socket carries its own ticket only."""
    a, b = office.issue("national-id"), office.issue("health-insurance")
    pages, frames = {}, {}
    for name, ticket, lang in (("a", a, "fa"), ("b", b, "en")):
        context = chromium.new_context(**PHONE)
        pages[name] = context.new_page()
        frames[name] = frames_of(pages[name])
        open_ticket(pages[name], ticket, lang)
    others = [office.issue(service) for service in ("national-id", "health-insurance", "post-bank")]
    office.call(1)  # a
    office.act(a, "recall")
    new_a = office.act(a, "transfer", {"service": "parcel"})
    office.call(4)  # b
    office.act(b, "no-show", counter=4)
    office.call(4)  # another citizen
    office.act(others[1], "complete", counter=4)
    office.server.post("/api/v1/counters/4/close", office.token("clerk4"))
    expect(pages["a"].locator("#new-number")).to_have_text(
        persian_digits(new_a["number"]), timeout=LIVE_MS
    )
    expect(pages["b"].locator('[data-when="no_show"]')).to_be_visible(timeout=LIVE_MS)

    own = {"a": {a["number"], new_a["number"]}, "b": {b["number"]}}
    foreign = [t["number"] for t in others]
    for name, received in frames.items():
        messages = [f for f in received if f.startswith("4")]  # Socket.IO over Engine.IO
        assert any('"ticket"' in f for f in messages)
        for frame in messages:
            assert not any(number in frame for number in foreign), frame
            assert not any(number in frame for number in own["b" if name == "a" else "a"]), frame
            if frame.startswith("42"):
                event, *args = json.loads(frame[2:])
                assert event in ("ticket", "moved"), frame
                if event == "moved":
                    assert args == []
                else:
                    assert args[0]["number"] in own[name]
        pages[name].context.close()
