"""The whole office at once in Chromium: kiosk → counter → wall display (and its voice) → phone.

One served demo office for the module. The wall's audio element is watched through its
own media events (every clip it starts and ends), and plays faster than life so that a
burst of calls is heard in a few seconds.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect

from harness.demo import open_device
from tests.browser.conftest import screenshot, serious_accessibility_problems
from tests.browser.office import LIVE_MS, Office, at_counter, clerk_page, current, fa

pytestmark = pytest.mark.browser

# Every clip the wall's audio element starts and ends, in order, with the page's clock.
WATCH_VOICE = """
window.heard = [];
for (const kind of ["play", "ended"]) {
  document.addEventListener(kind, (event) => {
    if (event.target.id !== "voice") return;
    window.heard.push([kind, new URL(event.target.currentSrc).pathname, performance.now()]);
  }, true);
}
document.addEventListener("DOMContentLoaded", () => {
  const voice = document.getElementById("voice");
  voice.defaultPlaybackRate = voice.playbackRate = Number(localStorage.getItem("test.rate") || 1);
});
"""


@pytest.fixture(scope="module")
def office(tmp_path_factory) -> Iterator[Office]:
    served = Office.serve(tmp_path_factory.mktemp("office"))
    yield served
    served.server.stop()


@pytest.fixture(autouse=True)
def _quiet_office(office: Office) -> None:
    office.quiet()
    settings(office, voice=True, languages=["fa"], message=None, quiet_hours=None)


def settings(office: Office, **changes) -> dict:
    status, body = office.server.patch(
        "/api/v1/offices/amol/display-settings", office.token("manager"), changes
    )
    assert status == 200, body
    return body


def wall_page(
    browser: Browser,
    office: Office,
    *,
    rate: float = 16,
    lang: str = "fa",
    counters: int = 4,
    init: str = "",
    **size,
) -> Page:
    """The wall display, its voice watched and sped up ``rate`` times (``init``: a script
    run before the page's own)."""
    viewport = size or {"width": 1920, "height": 1080}
    context = browser.new_context(viewport=viewport, locale="fa-IR")
    context.add_init_script(f"localStorage.setItem('test.rate', '{rate}');\n{WATCH_VOICE}{init}")
    page = context.new_page()
    english = "?lang=en" if lang == "en" else ""
    open_device(page, f"{office.url}/display/amol{english}", office.display)
    expect(page.locator("#counters li")).to_have_count(counters)
    expect(page.locator("#banner")).to_be_hidden()
    return page


def phone_page(browser: Browser, status_url: str) -> Page:
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="fa-IR"
    )
    page = context.new_page()
    page.goto(status_url)
    return page


def heard(page: Page) -> list[list]:
    return page.evaluate("window.heard")


def clips_of(office: Office, ticket_id: int) -> list[str]:
    """The clips the server gives for a called ticket's announcement, as paths."""
    status, body = office.server.get(
        f"/api/v1/offices/amol/tickets/{ticket_id}/announcement", office.display
    )
    assert status == 200, body
    return [urlsplit(url).path for url in body["clips"]]


def played_in_order_without_overlap(events: list[list]) -> list[str]:
    """The clips as they were heard; each ended before the next started (none was cut)."""
    clips, playing = [], None
    for kind, path, _at in events:
        if kind == "play":
            assert playing is None, f"{path} started while {playing} still played"
            playing = path
            clips.append(path)
        else:
            assert playing == path, (playing, path)
            playing = None
    assert playing is None, f"{playing} never ended"
    return clips


def open_counter(office: Office, number: int) -> None:
    clerk = office.token(f"clerk{number}")
    assert office.server.post(f"/api/v1/counters/{number}/open", clerk)[0] == 200


# --- one citizen through the office -----------------------------------------------------------


def test_a_citizen_goes_from_the_kiosk_to_the_counter_the_wall_and_their_phone(office, chromium):
    wall = wall_page(chromium, office)
    kiosk = chromium.new_page(viewport={"width": 1280, "height": 800})
    open_device(kiosk, f"{office.url}/kiosk/amol", office.kiosk)
    kiosk.locator('.group[data-group="civil_registration"]').click()
    kiosk.wait_for_timeout(500)  # the kiosk's guard against a tap meant for the group
    with kiosk.expect_response(lambda r: r.request.method == "POST" and "/tickets" in r.url) as a:
        kiosk.locator('.service[data-service="national-id"]').click()
    ticket = a.value.json()
    expect(kiosk.locator("#ticket-number")).to_have_text(fa(ticket["number"]))

    phone = phone_page(chromium, ticket["status_url"])
    expect(phone.locator('[data-when="waiting"]')).to_be_visible()
    clerk = at_counter(clerk_page(chromium, office, "clerk1"), 1)
    expect(clerk.locator("#next-up")).to_contain_text(fa(ticket["number"]), timeout=LIVE_MS)

    clerk.keyboard.press("n")
    expect(current(clerk)).to_have_text(fa(ticket["number"]))
    card = wall.locator('[data-counter="1"]')
    expect(card.locator(".ticket-number")).to_have_text(fa(ticket["number"]), timeout=LIVE_MS)
    expect(wall.locator("#now-number")).to_have_text(fa(ticket["number"]), timeout=LIVE_MS)
    expect(wall.locator("#now-counter")).to_have_text("باجه ۱")
    called = phone.locator('[data-when="called"]')
    expect(called).to_be_visible(timeout=LIVE_MS)
    expect(called).to_contain_text("باجه ۱")
    spoken = clips_of(office, ticket["id"])
    wall.wait_for_function(
        f"() => window.heard.filter(e => e[0] === 'ended').length >= {len(spoken)}"
    )
    assert played_in_order_without_overlap(heard(wall)) == spoken

    clerk.keyboard.press("r")  # a recall is shown and said again
    expect(phone.locator("#recalled")).to_be_visible(timeout=LIVE_MS)
    wall.wait_for_function(
        f"() => window.heard.filter(e => e[0] === 'ended').length >= {2 * len(spoken)}"
    )
    assert played_in_order_without_overlap(heard(wall)) == spoken * 2

    clerk.locator("[data-action=transfer]").click()
    clerk.locator("#transfer-dialog button", has_text="بیمه سلامت").click()
    moved = phone.locator('[data-when="transferred"]')
    expect(moved).to_be_visible(timeout=LIVE_MS)
    expect(moved.locator("#new-number")).to_have_text(fa("A-001"))
    expect(card.locator(".ticket-number")).to_have_text("—", timeout=LIVE_MS)

    other = office.issue()
    gone = phone_page(chromium, other["status_url"])
    clerk.keyboard.press("n")
    expect(gone.locator('[data-when="called"]')).to_be_visible(timeout=LIVE_MS)
    expect(wall.locator("#now-number")).to_have_text(fa(other["number"]), timeout=LIVE_MS)
    clerk.keyboard.press("a")  # did not come
    expect(gone.locator('[data-when="no_show"]')).to_be_visible(timeout=LIVE_MS)
    expect(card.locator(".ticket-number")).to_have_text("—", timeout=LIVE_MS)
    for page in (wall, kiosk, phone, gone, clerk):
        page.context.close()


# --- the voice ---------------------------------------------------------------------------------


def test_a_burst_of_ten_calls_is_spoken_in_order_without_overlap(office, chromium):
    wall = wall_page(chromium, office)
    tickets = {}
    for number, service in (
        (1, "national-id"),
        (2, "post-bank"),
        (3, "landline"),
        (4, "tax-return"),
    ):
        open_counter(office, number)
        office.issue(service)
    order = []
    for number in (1, 2, 3, 4):
        tickets[number] = office.call(number)["id"]
        order.append(number)
    for number in (2, 4, 1, 3, 1, 2):
        recall = f"/api/v1/tickets/{tickets[number]}/recall"
        assert office.server.post(recall, office.token(f"clerk{number}"))[0] == 200
        order.append(number)
    expected = [clip for number in order for clip in clips_of(office, tickets[number])]
    wall.wait_for_function(
        f"() => window.heard.filter(e => e[0] === 'ended').length >= {len(expected)}", timeout=30000
    )
    assert played_in_order_without_overlap(heard(wall)) == expected
    wall.context.close()


def test_a_call_already_served_when_its_turn_comes_is_not_said(office, chromium):
    wall = wall_page(chromium, office, rate=2)
    for number in (1, 2):
        open_counter(office, number)
    office.issue("post-bank")
    first, second = office.issue(), office.issue()
    long = office.call(2)  # said first
    assert office.call(1)["id"] == first["id"]  # queued behind it...
    assert office.call(1)["id"] == second["id"]  # ...and done before its turn
    expected = clips_of(office, long["id"]) + clips_of(office, second["id"])
    wall.wait_for_function(
        f"() => window.heard.filter(e => e[0] === 'ended').length >= {len(expected)}", timeout=30000
    )
    wall.wait_for_timeout(300)
    assert played_in_order_without_overlap(heard(wall)) == expected
    wall.context.close()


# Headless Chromium plays sound whatever --autoplay-policy says, so a browser that blocks
# it is played here as Chromium's policy reads: no sound until the page was touched (by
# a real input event: Playwright's own scripts count as a gesture for userActivation).
BLOCK_SOUND_UNTIL_TOUCHED = """
let wasTouched = false;
for (const kind of ["pointerdown", "keydown"]) {
  addEventListener(kind, (event) => { wasTouched ||= event.isTrusted; }, true);
}
const touched = () => wasTouched;
const play = HTMLMediaElement.prototype.play;
HTMLMediaElement.prototype.play = function () {
  if (touched()) return play.call(this);
  return Promise.reject(new DOMException("blocked", "NotAllowedError"));
};
const Context = window.AudioContext;
window.AudioContext = class extends Context {
  get state() { return touched() ? super.state : "suspended"; }
  resume() { return touched() ? super.resume() : new Promise(() => {}); }
};
"""


def test_a_display_whose_browser_blocks_sound_offers_to_turn_it_on_and_remembers(office, chromium):
    wall = wall_page(chromium, office, init=BLOCK_SOUND_UNTIL_TOUCHED)
    sound = wall.locator("#sound")
    expect(sound).to_be_visible()
    screenshot(wall, "display-fa-sound-blocked")
    sound.click()
    expect(sound).to_be_hidden()
    assert wall.evaluate("localStorage.getItem('nobat.display.amol.sound')") == "1"
    open_counter(office, 1)
    ticket = office.issue()
    office.call(1)
    wall.wait_for_function("() => window.heard.some(e => e[0] === 'play')")
    assert heard(wall)[0][1] == clips_of(office, ticket["id"])[0]
    wall.context.close()


def test_a_silent_office_shows_calls_without_a_word(office, chromium):
    settings(office, voice=False)
    wall = wall_page(chromium, office)
    open_counter(office, 1)
    ticket = office.issue()
    office.call(1)
    expect(wall.locator("#now-number")).to_have_text(fa(ticket["number"]), timeout=LIVE_MS)
    wall.wait_for_timeout(500)
    assert heard(wall) == []
    wall.context.close()


# --- the screen ---------------------------------------------------------------------------------


def test_the_managers_message_runs_along_the_foot_of_the_wall_as_soon_as_it_is_set(
    office, chromium
):
    wall = wall_page(chromium, office)
    expect(wall.locator("#ticker")).to_be_hidden()
    settings(office, message="لطفاً کارت ملی خود را همراه داشته باشید")
    expect(wall.locator("#ticker-text")).to_have_text(
        "لطفاً کارت ملی خود را همراه داشته باشید", timeout=LIVE_MS
    )
    settings(office, message=None)
    expect(wall.locator("#ticker")).to_be_hidden(timeout=LIVE_MS)
    wall.context.close()


def add_counters(office: Office, up_to: int) -> None:
    with sqlite3.connect(office.server.env["NOBAT_DATABASE_URL"].removeprefix("sqlite:///")) as db:
        office_id = db.execute("SELECT id FROM offices WHERE code = 'amol'").fetchone()[0]
        db.executemany(
            "INSERT INTO counters (office_id, number, name, name_en, state, priority_streak)"
            " VALUES (?, ?, ?, ?, 'closed', 0)",
            [(office_id, n, f"باجه {fa(str(n))}", f"Counter {n}") for n in range(5, up_to + 1)],
        )


def remove_added_counters(office: Office) -> None:
    with sqlite3.connect(office.server.env["NOBAT_DATABASE_URL"].removeprefix("sqlite:///")) as db:
        db.execute("DELETE FROM counters WHERE number > 4")


def everything_fits(page: Page) -> list[str]:
    """Cards, numbers and names that leave the screen or are cut inside their box."""
    return page.evaluate(
        """() => {
          const bad = [];
          const { innerWidth: w, innerHeight: h } = window;
          for (const node of document.querySelectorAll(
              '.counter, .ticket-number, .now-number, .now-counter, .service, .recent-call')) {
            const r = node.getBoundingClientRect();
            if (r.width === 0) continue;
            if (r.left < -1 || r.top < -1 || r.right > w + 1 || r.bottom > h + 1)
              bad.push(`${node.className} outside ${JSON.stringify(r)}`);
            const cut = node.scrollWidth > node.clientWidth + 1;
            if (cut && node.matches('.ticket-number, .now-number'))
              bad.push(`${node.className} "${node.textContent}" cut`);
          }
          return bad;
        }"""
    )


@pytest.mark.parametrize("counters", [4, 20])
def test_landscape_and_portrait_walls_fit_four_to_twenty_counters(office, chromium, counters):
    add_counters(office, counters)
    try:
        for number, service in ((1, "national-id"), (2, "post-bank"), (4, "tax-return")):
            open_counter(office, number)
            office.issue(service)
            office.call(number)
        settings(office, message="ساعت کاری: شنبه تا چهارشنبه ۷:۳۰ تا ۱۴:۳۰")
        for lang in ("fa", "en"):
            for name, (width, height) in (("landscape", (1920, 1080)), ("portrait", (1080, 1920))):
                wall = wall_page(
                    chromium, office, lang=lang, counters=counters, width=width, height=height
                )
                expect(wall.locator("#ticker-text")).to_be_visible()
                assert everything_fits(wall) == [], (lang, name)
                if counters == 4:
                    screenshot(wall, f"display-{lang}-{name}")
                wall.context.close()
    finally:
        remove_added_counters(office)


def test_the_wall_has_no_serious_accessibility_problem(office, chromium):
    wall = wall_page(chromium, office)
    open_counter(office, 1)
    office.issue()
    office.call(1)
    expect(wall.locator("#now-number")).not_to_have_text("")
    assert serious_accessibility_problems(wall) == []
    wall.context.close()
