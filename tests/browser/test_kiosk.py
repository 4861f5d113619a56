"""The kiosk in Chromium: a citizen picks a service and leaves with a numbered, printed ticket.

One demo server serves the whole module (starting one takes most of a test's time).
Its availability is set once, directly in the database: the landline service is
inactive, the vehicle tolls have reached their daily cap and birth certificates
have closed for today. Each test issues tickets of its own service, so ticket
numbers do not depend on the order the tests run in.

Texts are compared with the page's own catalog (``data-text-fa``/``data-text-en``),
so the tests hold whether or not the Persian catalog has the kiosk's texts yet.
"""

from __future__ import annotations

import json
import re
import sqlite3
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from harness.demo import DemoServer, open_device, seeded_demo
from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser

PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
JALALI_MONTHS = (
    "فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور",
    "مهر", "آبان", "آذر", "دی", "بهمن", "اسفند",
)  # fmt: skip
PORTRAIT = {"width": 1080, "height": 1920}
LANDSCAPE = {"width": 1280, "height": 720}
# The kiosk ignores a service tapped this soon after its group opened (a double tap on the
# group must not take the ticket under the finger): people are slower than Playwright.
TAP_GUARD_MS = 500


@dataclass
class Kiosk:
    server: DemoServer
    token: str
    instance: Path

    @property
    def url(self) -> str:
        return f"{self.server.url}/kiosk/amol"

    def sql(self, statement: str, *params: object) -> None:
        """Change the demo's data behind the server's back, as an operator's tool would."""
        with sqlite3.connect(self.instance / "nobat.sqlite3", timeout=10) as connection:
            connection.execute(statement, params)


@pytest.fixture(scope="module")
def kiosk(tmp_path_factory) -> Iterator[Kiosk]:
    instance = tmp_path_factory.mktemp("kiosk")
    server = seeded_demo(instance)
    found = Kiosk(server, "", instance)
    found.sql("UPDATE services SET active = 0 WHERE code = 'landline'")
    found.sql("UPDATE services SET daily_cap = 0 WHERE code = 'vehicle-tolls'")
    found.sql("UPDATE services SET closes_at = '00:00:00.000000' WHERE code = 'birth-certificate'")
    with ThreadPoolExecutor(1) as pool:  # the token is made while the server starts
        token = pool.submit(server.token, "--device", "kiosk", "--office", "amol")
        server.start()
        found.token = token.result()
    yield found
    server.stop()


def texts(page: Page, lang: str) -> dict[str, str]:
    return json.loads(page.locator("#kiosk").get_attribute(f"data-text-{lang}"))


def fill(text: str, lang: str = "fa", **values: object) -> str:
    """A catalog text with its placeholders filled as the page fills them."""
    for name, value in values.items():
        shown = str(value).translate(PERSIAN_DIGITS) if lang == "fa" else str(value)
        text = text.replace(f"{{{name}}}", shown)
    return text


def open_kiosk(page: Page, kiosk: Kiosk) -> dict[str, str]:
    open_device(page, kiosk.url, kiosk.token)
    expect(page.locator(".group").first).to_be_visible()
    return texts(page, "fa")


def texts_after_open(page: Page, kiosk: Kiosk) -> dict[str, str]:
    open_device(page, kiosk.url, kiosk.token)
    expect(page.locator("#screen-loading")).to_be_hidden()
    return texts(page, "fa")


def is_ticket_post(response) -> bool:
    return response.request.method == "POST" and "/tickets" in response.url


def take(page: Page, group: str, service: str) -> dict:
    """Tap a group, then a service; the issued ticket as the API answered."""
    page.locator(f'.group[data-group="{group}"]').click()
    page.wait_for_timeout(TAP_GUARD_MS)
    with page.expect_response(is_ticket_post) as answer:
        page.locator(f'.service[data-service="{service}"]').click()
    expect(page.locator("#screen-ticket")).to_be_visible()
    return answer.value.json()


def loaded(page: Page, selector: str) -> None:
    page.wait_for_function(
        "(s) => { const i = document.querySelector(s); return i?.complete && i.naturalWidth > 0 }",
        arg=selector,
        timeout=15000,
    )


def small_targets(page: Page) -> list[str]:
    """Visible buttons smaller than 64 × 64 CSS pixels."""
    return page.evaluate(
        """() => [...document.querySelectorAll('button, [role=button]')]
             .filter((b) => b.offsetParent !== null || getComputedStyle(b).position === 'fixed')
             .map((b) => [b, b.getBoundingClientRect()])
             .filter(([b, r]) => r.width > 0 && (r.width < 64 || r.height < 64))
             .map(([b, r]) => `${b.id || b.className} ${r.width | 0}x${r.height | 0}`)"""
    )


def test_a_tapped_service_gives_a_numbered_ticket_that_prints(kiosk, page):
    for _ in range(2):  # two citizens ahead
        kiosk.server.post("/api/v1/offices/amol/tickets", kiosk.token, {"service": "national-id"})
    fa = open_kiosk(page, kiosk)
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator(".group")).to_have_count(7)
    assert small_targets(page) == []
    screenshot(page, "kiosk-fa")

    ticket = take(page, "civil_registration", "national-id")
    assert ticket["number"] == "B-003" and ticket["people_ahead"] == 2
    expect(page.locator("#ticket-number")).to_have_text("B-۰۰۳")
    expect(page.locator("#ticket-service")).to_have_text("کارت ملی هوشمند")
    # The server words both, as on the printed ticket, the wall and the phone.
    expect(page.locator("#ticket-ahead")).to_have_text("۲ نفر")
    expect(page.locator("#ticket-eta")).to_have_text(ticket["eta_text"])
    assert ticket["eta_text"] == "فعلاً باجه‌ای به این خدمت رسیدگی نمی‌کند"  # all counters closed
    issued = page.locator("#ticket-time").inner_text()
    assert re.search("[۰-۹]{4}", issued) and any(month in issued for month in JALALI_MONTHS)

    loaded(page, "#ticket-qr")
    qr = page.locator("#ticket-qr").get_attribute("src")
    assert urllib.parse.quote(ticket["status_url"], safe="") in qr

    expect(page.locator("#print-state")).to_have_attribute("data-state", "printed", timeout=20000)
    loaded(page, "#ticket-preview")
    assert list((kiosk.instance / "previews").glob("*.png"))
    expect(page.locator("#countdown-text")).to_contain_text(fa["returning"].split("{n}")[0].strip())
    assert small_targets(page) == []
    screenshot(page, "kiosk-fa-ticket")

    page.locator("#done").click()
    expect(page.locator("#screen-start")).to_be_visible()
    expect(page.locator(".group")).to_have_count(7)


def test_the_qr_code_is_drawn_only_for_this_servers_own_ticket_links(kiosk):
    _, ticket = kiosk.server.post(
        "/api/v1/offices/amol/tickets", kiosk.token, {"service": "post-bank"}
    )

    def get(data: str) -> tuple[int, str]:
        url = f"{kiosk.server.url}/kiosk/qr.svg?data={urllib.parse.quote(data, safe='')}"
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                return response.status, response.headers["Content-Type"]
        except urllib.error.HTTPError as error:
            return error.code, ""

    status, kind = get(ticket["status_url"])
    assert status == 200 and kind.startswith("image/svg+xml")
    token = ticket["status_url"].rsplit("/", 1)[1]
    assert get(f"https://example.com/t/{token}")[0] == 404
    assert get(ticket["status_url"].replace(token, "A" * 32))[0] == 404
    assert get(f"{ticket['status_url']}?x=1")[0] == 404


def test_english_shows_english_names_and_latin_digits_until_the_ticket_is_done(kiosk, page):
    open_kiosk(page, kiosk)
    page.locator("#lang").click()
    en = texts(page, "en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    expect(page.locator('.group[data-group="mobile"] .name')).to_have_text(en["group_mobile"])
    expect(page.locator("#office-name")).to_have_text("Amol Government Services Office (Pishkhan)")
    expect(page.locator("#clock")).to_have_text(re.compile(r"\d{4}, \d\d:\d\d$"))
    screenshot(page, "kiosk-en")

    page.locator('.group[data-group="mobile"]').click()
    expect(page.locator('.service[data-service="mobile-sim"] .name')).to_have_text(
        "Mobile SIM cards"
    )
    page.locator("#back").click()
    ticket = take(page, "mobile", "mobile-sim")
    expect(page.locator("#ticket-number")).to_have_text(ticket["number"])
    assert re.fullmatch(r"G-\d{3}", ticket["number"])
    expect(page.locator("#ticket-service")).to_have_text("Mobile SIM cards")
    expect(page.locator("#ticket-eta")).to_have_text("no counter is serving this now")

    page.locator("#done").click()  # the next citizen starts in Persian
    expect(page.locator("html")).to_have_attribute("lang", "fa")
    expect(page.locator('.group[data-group="mobile"] .name')).to_have_text(
        texts(page, "fa")["group_mobile"]
    )


def test_search_filters_services_by_persian_or_english_name(kiosk, page):
    open_kiosk(page, kiosk)
    search = page.locator("#search")
    expect(search).to_be_visible()

    def found() -> list[str]:
        return page.locator(".service").evaluate_all("(all) => all.map((s) => s.dataset.service)")

    search.fill("ملی")
    expect(page.locator(".service")).to_have_count(1)
    assert found() == ["national-id"]
    search.fill("كارت ملي")  # Arabic kaf and yeh, as some keyboards type them
    expect(page.locator('.service[data-service="national-id"]')).to_be_visible()
    search.fill("SIM")
    expect(page.locator(".service")).to_have_count(1)
    assert found() == ["mobile-sim"]
    search.fill("پست")
    expect(page.locator(".service")).to_have_count(2)
    assert sorted(found()) == ["parcel", "post-bank"]
    search.fill("qqq")
    expect(page.locator("#no-match")).to_be_visible()
    page.locator("#clear-search").click()
    expect(page.locator(".group")).to_have_count(7)


def test_a_priority_ticket_is_optional_and_issued_with_its_reason(kiosk, page):
    fa = open_kiosk(page, kiosk)
    expect(page.locator("#priority-open")).to_be_visible()
    page.locator("#priority-open").click()
    expect(page.locator("#priority-sheet")).to_be_visible()
    expect(page.locator("#priority-sheet")).to_contain_text(fa["priority_verified"])
    assert small_targets(page) == []
    page.locator('.reason[data-reason="elderly"]').click()
    expect(page.locator("#priority-sheet")).to_be_hidden()
    expect(page.locator("#priority-selected-text")).to_have_text(
        fill(fa["priority_chosen"], reason=fa["reason_elderly"])
    )

    page.locator('.group[data-group="insurance"]').click()
    page.wait_for_timeout(TAP_GUARD_MS)
    with page.expect_response(is_ticket_post) as answer:
        page.locator('.service[data-service="health-insurance"]').click()
    sent = answer.value.request.post_data_json
    assert (sent["priority"], sent["priority_reason"], sent["language"]) == (True, "elderly", "fa")
    ticket = answer.value.json()
    assert (ticket["priority"], ticket["priority_reason"]) == (True, "elderly")
    expect(page.locator("#ticket-priority")).to_be_visible()
    expect(page.locator("#ticket-priority")).to_contain_text(fa["reason_elderly"])

    page.locator("#done").click()  # priority is for one ticket only
    expect(page.locator("#priority-open")).to_be_visible()


def test_unavailable_services_are_shown_with_their_reason_and_cannot_be_taken(kiosk, page):
    fa = open_kiosk(page, kiosk)
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)

    telecom = page.locator('.group[data-group="telecom"]')
    expect(telecom).to_have_class(re.compile("unavailable"))
    expect(telecom).to_contain_text(fa["reason_inactive"])
    telecom.click()
    landline = page.locator('.service[data-service="landline"]')
    expect(landline).to_be_disabled()
    expect(landline).to_have_attribute("data-reason", "inactive")
    expect(landline.locator(".detail")).to_have_text(fa["reason_inactive"])
    landline.click(force=True)
    page.locator("#back").click()

    page.locator('.group[data-group="tax"]').click()
    tolls = page.locator('.service[data-service="vehicle-tolls"]')
    expect(tolls).to_be_disabled()
    expect(tolls.locator(".detail")).to_have_text(fa["reason_daily_cap"])
    tolls.click(force=True)
    expect(page.locator('.service[data-service="tax-return"]')).to_be_enabled()
    page.locator("#back").click()

    page.locator('.group[data-group="civil_registration"]').click()
    births = page.locator('.service[data-service="birth-certificate"]')
    expect(births).to_be_disabled()
    expect(births.locator(".detail")).to_have_text(fa["reason_after_hours"])
    births.click(force=True)

    page.wait_for_timeout(300)
    expect(page.locator("#screen-ticket")).to_be_hidden()
    assert posts == []


def test_a_service_that_fills_up_meanwhile_shows_the_servers_message(kiosk, page):
    open_kiosk(page, kiosk)
    kiosk.sql("UPDATE services SET daily_cap = 0 WHERE code = 'parcel'")
    try:
        page.locator('.group[data-group="postal"]').click()
        page.wait_for_timeout(TAP_GUARD_MS)
        with page.expect_response(is_ticket_post) as answer:
            page.locator('.service[data-service="parcel"]').click()
        assert answer.value.status == 409
        message = answer.value.json()["error"]["message"]
        expect(page.locator("#problem")).to_be_visible()
        expect(page.locator("#problem-message")).to_have_text(message)
        expect(page.locator("#problem-retry")).to_be_hidden()
        page.locator("#problem-back").click()
        # the kiosk reloaded the services: now it says why
        expect(page.locator('.service[data-service="parcel"]')).to_be_disabled()
    finally:
        kiosk.sql("UPDATE services SET daily_cap = NULL WHERE code = 'parcel'")


def test_a_network_error_while_issuing_offers_a_retry(kiosk, page):
    fa = open_kiosk(page, kiosk)
    page.route("**/api/v1/offices/amol/tickets*", lambda route: route.abort("connectionrefused"))
    page.locator('.group[data-group="post_bank"]').click()
    page.wait_for_timeout(TAP_GUARD_MS)
    page.locator('.service[data-service="post-bank"]').click()
    expect(page.locator("#problem")).to_be_visible()
    expect(page.locator("#problem-message")).to_have_text(fa["network_error"])
    expect(page.locator("#screen-start")).to_be_visible()  # never a blank screen

    page.unroute("**/api/v1/offices/amol/tickets*")
    with page.expect_response(is_ticket_post) as answer:
        page.locator("#problem-retry").click()
    assert answer.value.status == 201
    expect(page.locator("#ticket-number")).to_have_text(
        answer.value.json()["number"].translate(PERSIAN_DIGITS)
    )


def test_a_rate_limited_request_says_when_and_offers_a_retry_with_the_same_key(kiosk, page):
    open_kiosk(page, kiosk)
    refused = []
    words = "تعداد درخواست‌ها بیش از حد است. لطفاً ۱۲ ثانیهٔ دیگر دوباره امتحان کنید."

    def too_many_once(route):
        if refused:
            route.continue_()
            return
        refused.append(route.request.headers["idempotency-key"])
        route.fulfill(
            status=429,
            headers={"Retry-After": "12"},
            content_type="application/json",
            body=json.dumps({"error": {"code": "too_many_requests", "message": words}}),
        )

    page.route("**/api/v1/offices/amol/tickets*", too_many_once)
    page.locator('.group[data-group="post_bank"]').click()
    page.wait_for_timeout(TAP_GUARD_MS)
    page.locator('.service[data-service="post-bank"]').click()
    expect(page.locator("#problem-message")).to_have_text(words)
    expect(page.locator("#problem-retry")).to_be_visible()

    with page.expect_response(is_ticket_post) as answer:
        page.locator("#problem-retry").click()
    assert answer.value.status == 201
    assert answer.value.request.headers["idempotency-key"] == refused[0]


def test_a_retry_after_a_lost_answer_gets_the_same_ticket_not_a_second_one(kiosk, page):
    open_kiosk(page, kiosk)
    reached = []

    def lose_the_answer(route):
        reached.append(route.fetch().json())  # the server issued it; the kiosk never hears
        route.abort("connectionreset")

    page.route("**/api/v1/offices/amol/tickets*", lose_the_answer)
    page.locator('.group[data-group="post_bank"]').click()
    page.wait_for_timeout(TAP_GUARD_MS)
    page.locator('.service[data-service="post-bank"]').click()
    expect(page.locator("#problem")).to_be_visible()

    page.unroute("**/api/v1/offices/amol/tickets*")
    with page.expect_response(is_ticket_post) as answer:
        page.locator("#problem-retry").click()
    assert answer.value.json()["id"] == reached[0]["id"]
    assert answer.value.request.headers["idempotency-key"]
    expect(page.locator("#ticket-number")).to_have_text(
        reached[0]["number"].translate(PERSIAN_DIGITS)
    )


def lose_the_first_answer(page: Page) -> list:
    """The next ticket request reaches the server, which issues it; its answer is lost."""
    issued = []

    def lose(route):
        if issued:  # only the first
            route.continue_()
            return
        issued.append((route.request.headers["idempotency-key"], route.fetch().json()))
        route.abort("connectionreset")

    page.route("**/api/v1/offices/amol/tickets*", lose)
    return issued


def a_sim_card_ticket_whose_answer_is_lost(page: Page, kiosk: Kiosk) -> tuple[str, dict]:
    """A citizen asks for a SIM card ticket; it is issued, the answer is lost: the problem
    sheet shows. The request's key and the ticket the server issued."""
    open_kiosk(page, kiosk)
    lost = lose_the_first_answer(page)
    page.locator('.group[data-group="mobile"]').click()
    page.wait_for_timeout(TAP_GUARD_MS)
    page.locator('.service[data-service="mobile-sim"]').click()
    expect(page.locator("#problem")).to_be_visible()
    return lost[0]


def tap_service(page: Page, group: str | None, service: str):
    """Tap a group (unless its services show already), then a service; the request's answer."""
    if group is not None:
        page.locator(f'.group[data-group="{group}"]').click()
        page.wait_for_timeout(TAP_GUARD_MS)
    with page.expect_response(is_ticket_post) as answer:
        page.locator(f'.service[data-service="{service}"]').click()
    return answer.value


def test_after_a_lost_answer_and_back_the_next_citizen_gets_their_own_ticket(kiosk, page):
    first_key, first_ticket = a_sim_card_ticket_whose_answer_is_lost(page, kiosk)
    page.locator("#problem-back").click()  # the first citizen gives up and leaves

    page.locator("#priority-open").click()  # the next citizen is elderly
    page.locator('.reason[data-reason="elderly"]').click()
    answer = tap_service(page, None, "mobile-sim")  # still on the mobile services
    assert answer.request.headers["idempotency-key"] != first_key
    assert answer.status == 201
    ticket = answer.json()
    assert ticket["id"] != first_ticket["id"]
    assert (ticket["priority"], ticket["priority_reason"]) == (True, "elderly")
    expect(page.locator("#ticket-number")).to_have_text(ticket["number"].translate(PERSIAN_DIGITS))


def test_a_kiosk_gone_idle_after_a_lost_answer_starts_a_new_request(kiosk, page):
    page.clock.install()
    first_key, first_ticket = a_sim_card_ticket_whose_answer_is_lost(page, kiosk)
    page.clock.fast_forward(61_000)  # nobody tapped "Try again"
    expect(page.locator("#idle")).to_be_visible()
    expect(page.locator("#problem")).to_be_hidden()

    page.locator("#idle").click(position={"x": 40, "y": 40})  # the next citizen, same choice
    answer = tap_service(page, "mobile", "mobile-sim")
    assert answer.request.headers["idempotency-key"] != first_key
    assert answer.status == 201
    assert answer.json()["id"] != first_ticket["id"]


def test_a_printer_out_of_paper_keeps_the_number_and_code_on_screen(kiosk, page):
    kiosk.sql("UPDATE api_tokens SET printer = 'dummy://?status=paper_out' WHERE kind = 'kiosk'")
    try:
        fa = open_kiosk(page, kiosk)
        ticket = take(page, "postal", "parcel")
        state = page.locator("#print-state")
        expect(state).to_have_attribute("data-state", "fault", timeout=20000)
        expect(state).to_have_attribute("data-reason", "paper_out")
        expect(page.locator("#print-main")).to_have_text(fa["fault_paper_out"])
        expect(page.locator("#print-advice")).to_have_text(fa["print_advice"])
        expect(page.locator("#ticket-number")).to_have_text(
            ticket["number"].translate(PERSIAN_DIGITS)
        )
        loaded(page, "#ticket-qr")
        expect(page.locator("#preview")).to_be_hidden()
        assert int(page.locator("#kiosk").get_attribute("data-countdown")) > 30
        screenshot(page, "kiosk-fa-fault")
    finally:
        kiosk.sql("UPDATE api_tokens SET printer = NULL WHERE kind = 'kiosk'")


def test_the_kiosk_returns_to_the_start_and_then_to_an_attract_screen(kiosk, page):
    page.clock.install()
    open_kiosk(page, kiosk)
    page.locator("#lang").click()
    take(page, "tax", "tax-return")
    expect(page.locator("#countdown-text")).not_to_be_empty()
    page.clock.fast_forward(61_000)  # the countdown ran out (even a printer fault's)
    expect(page.locator("#screen-start")).to_be_visible()
    expect(page.locator("#idle")).to_be_hidden()
    expect(page.locator("html")).to_have_attribute("lang", "fa")

    page.locator("#lang").click()
    page.clock.fast_forward(61_000)  # nobody touched the screen
    idle = page.locator("#idle")
    expect(idle).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "fa")
    idle.click(position={"x": 40, "y": 40})
    expect(idle).to_be_hidden()
    expect(page.locator(".group")).to_have_count(7)


def test_the_portrait_kiosk_keeps_large_targets(kiosk, page):
    page.set_viewport_size(PORTRAIT)
    open_kiosk(page, kiosk)
    assert small_targets(page) == []
    screenshot(page, "kiosk-fa-portrait")
    page.locator('.group[data-group="insurance"]').click()
    assert small_targets(page) == []
    page.locator("#back").click()
    take(page, "insurance", "health-insurance")
    expect(page.locator("#print-state")).to_have_attribute("data-state", "printed", timeout=20000)
    loaded(page, "#ticket-preview")
    assert small_targets(page) == []
    screenshot(page, "kiosk-fa-ticket-portrait")
    page.set_viewport_size(LANDSCAPE)


def clipped_cards(page: Page) -> list[str]:
    """Visible group and service cards whose content does not fit in their box."""
    return page.evaluate(
        """() => [...document.querySelectorAll('.group, .service')]
             .filter((c) => c.offsetParent !== null && c.scrollHeight > c.clientHeight + 1)
             .map((c) => `${c.dataset.group || c.dataset.service} ${c.scrollHeight}`)"""
    )


@pytest.mark.parametrize("lang", ["fa", "en"])
def test_a_small_kiosk_screen_scrolls_rather_than_cutting_cards(kiosk, page, lang):
    page.set_viewport_size({"width": 1024, "height": 600})
    open_kiosk(page, kiosk)
    if lang == "en":
        page.locator("#lang").click()
    assert clipped_cards(page) == []
    page.locator('.group[data-group="civil_registration"]').click()
    assert clipped_cards(page) == []
    page.set_viewport_size(LANDSCAPE)


def test_a_closed_office_says_so(kiosk, page):
    kiosk.sql("UPDATE services SET active = 0")
    try:
        fa = texts_after_open(page, kiosk)
        expect(page.locator("#screen-closed")).to_be_visible()
        expect(page.locator("#screen-closed")).to_contain_text(fa["closed_title"])
        expect(page.locator("#closed-when")).to_have_text(fa["closed_tomorrow"])
    finally:
        kiosk.sql("UPDATE services SET active = 1 WHERE code != 'landline'")


def test_a_kiosk_without_a_token_shows_a_pairing_code(kiosk, page):
    page.goto(f"{kiosk.server.url}/kiosk/amol?token=nbt_ignored")
    setup = page.locator("#screen-setup")
    expect(setup).to_be_visible()
    expect(page.locator("#pair-code")).to_have_attribute("data-code", re.compile(r"^[0-9]{6}$"))
    expect(page.locator("#pair-code")).to_have_text(re.compile(r"^[۰-۹]{6}$"))
    assert "token" not in page.url  # a token in the address is dropped, unused
    expect(setup).not_to_contain_text("nobat")  # set-up help is for signed-in staff
    expect(page.locator("#priority-bar")).to_be_hidden()

    open_device(page, f"{kiosk.server.url}/kiosk/amol", "nbt_not_a_token")
    expect(setup).to_be_visible()
    expect(page.locator("#setup-refused")).to_be_visible()
    expect(page.locator("#setup-refused")).not_to_be_empty()
    # The refused token is forgotten: the kiosk does not keep presenting it.
    assert page.evaluate("() => localStorage.getItem('nobat.kiosk.amol')") is None
    page.goto(f"{kiosk.server.url}/kiosk/amol")
    expect(setup).to_be_visible()
    expect(page.locator("#setup-refused")).to_be_hidden()
    expect(page.locator("#pair-code")).not_to_be_empty()
