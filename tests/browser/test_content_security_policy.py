"""Every page works in Chromium under the Content-Security-Policy, and breaks none of it.

One served demo office for the module. Each page is opened in a browser context of its
own that reports every CSP violation twice over: the ``securitypolicyviolation`` event
(through an exposed function, so reports survive navigations) and Chromium's console
message. Each test then checks that the page did its job: its main element shows, its
live state becomes live where it has one, its charts draw, its sound loads.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from harness.demo import open_device
from tests.browser.office import Office, at_counter, drawn, fa

pytestmark = pytest.mark.browser

# The kiosk ignores a second tap this soon after the first (as in test_kiosk).
TAP_GUARD_MS = 500

REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.reportViolation(
    `${event.effectiveDirective} blocked ${event.blockedURI || "inline"} ` +
    `at ${event.sourceFile || document.URL}:${event.lineNumber}`
  );
});
"""


class Watched:
    """A browser context whose pages report CSP violations into ``violations``."""

    def __init__(self, context: BrowserContext) -> None:
        self.context = context
        self.violations: list[str] = []
        context.expose_function("reportViolation", self._report)
        context.add_init_script(REPORT_VIOLATIONS)

    def page(self) -> Page:
        page = self.context.new_page()
        page.on("console", self._console)
        return page

    def _report(self, violation: str) -> None:
        self.violations.append(violation)

    def _console(self, message) -> None:
        if "Content Security Policy" in message.text:
            self.violations.append(message.text)

    def settle(self, page: Page) -> list[str]:
        """The violations, once the page has loaded what it loads and reports have come."""
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(200)  # the event is dispatched as a task after the block
        return self.violations


@pytest.fixture(scope="module")
def office(tmp_path_factory) -> Iterator[Office]:
    served = Office.serve(tmp_path_factory.mktemp("csp"))
    status, _ = served.server.patch(
        "/api/v1/offices/amol/display-settings",
        served.token("manager"),
        {"voice": True, "languages": ["fa"], "quiet_hours": None},
    )
    assert status == 200
    yield served
    served.server.stop()


@pytest.fixture(autouse=True)
def _quiet_office(office: Office) -> None:
    office.quiet()


@pytest.fixture
def watched(chromium: Browser) -> Iterator[Callable[..., Watched]]:
    opened: list[BrowserContext] = []

    def open_context(**options) -> Watched:
        options.setdefault("viewport", {"width": 1366, "height": 768})
        context = chromium.new_context(locale="fa-IR", **options)
        opened.append(context)
        return Watched(context)

    yield open_context
    for context in opened:
        context.close()


def sign_in(page: Page, office: Office, username: str, then: str) -> None:
    page.goto(f"{office.url}/login?next={then}")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill("demo")
    page.locator("input[name=password]").press("Enter")
    page.wait_for_url(f"{office.url}{then}")


def test_the_detector_sees_a_violation(office: Office, watched):
    browser = watched()
    page = browser.page()
    page.goto(f"{office.url}/")
    page.evaluate("document.body.setAttribute('style', 'color: red')")
    assert any("style-src" in v for v in browser.settle(page))


def test_the_start_page_and_an_error_page(office: Office, watched):
    browser = watched()
    page = browser.page()
    page.goto(f"{office.url}/")
    expect(page.locator("main.start .card").first).to_be_visible()
    assert browser.settle(page) == []
    missing = page.goto(f"{office.url}/no-such-page?lang=en")
    assert missing.status == 404
    expect(page.locator("main.start h1")).to_have_text("404")
    expect(page.locator("main.start a")).to_have_attribute("href", "/?lang=en")
    assert browser.settle(page) == []


def test_sign_in_and_the_counter_page(office: Office, watched):
    browser = watched(viewport={"width": 1366, "height": 820})
    page = browser.page()
    page.goto(f"{office.url}/login")
    expect(page.locator("form input[name=username]")).to_be_visible()
    assert browser.settle(page) == []
    page.locator("input[name=username]").fill("clerk1")
    page.locator("input[name=password]").fill("demo")
    page.locator("input[name=password]").press("Enter")
    page.wait_for_url(re.compile(r"/counter/amol"))
    at_counter(page, 1)
    expect(page.locator("#live-state")).to_have_attribute("data-state", "live")
    ticket = office.issue("national-id")
    page.locator("button[data-action=next]").click()
    expect(page.locator("#ticket-number")).to_have_text(fa(ticket["number"]))
    page.locator("button[data-action=help]").click()
    expect(page.locator("#help-dialog")).to_be_visible()
    assert browser.settle(page) == []
    # Signing in and out post forms, which the CSRF check lets through only with this
    # origin as Origin: the Referrer-Policy keeps it (under no-referrer it would be null).
    page.keyboard.press("Escape")
    page.get_by_role("button", name="خروج").click()
    page.wait_for_url(f"{office.url}/login")
    assert browser.settle(page) == []


def test_the_kiosk_issues_a_ticket_with_its_qr_code(office: Office, watched):
    browser = watched(viewport={"width": 1280, "height": 1024})
    page = browser.page()
    open_device(page, f"{office.url}/kiosk/amol", office.kiosk)
    expect(page.locator(".group").first).to_be_visible()
    page.locator('.group[data-group="civil_registration"]').click()
    page.wait_for_timeout(TAP_GUARD_MS)
    page.locator('.service[data-service="national-id"]').click()
    expect(page.locator("#screen-ticket")).to_be_visible()
    qr = page.locator("#ticket-qr")
    expect(qr).to_have_attribute("src", re.compile(r"^/kiosk/qr\.svg\?"))
    page.wait_for_function("() => document.getElementById('ticket-qr').naturalWidth > 0")
    assert browser.settle(page) == []


def test_the_wall_display_shows_and_announces_a_call(office: Office, watched):
    browser = watched(viewport={"width": 1920, "height": 1080})
    page = browser.page()
    clips: list[str] = []
    page.on("response", lambda r: "/voice/" in r.url and clips.append(f"{r.status} {r.url}"))
    open_device(page, f"{office.url}/display/amol", office.display)
    expect(page.locator("#counters li")).to_have_count(4)
    expect(page.locator("body")).to_have_attribute("data-live", "live")
    office.issue("national-id")
    called = office.call(1)
    expect(page.locator("#now-number")).to_have_text(fa(called["number"]))
    page.wait_for_function(
        "() => document.getElementById('voice').currentSrc.includes('/voice/')", timeout=10000
    )
    assert browser.settle(page) == []
    assert clips and all(c.startswith(("200", "206")) for c in clips), clips


def test_the_citizens_ticket_page_goes_live(office: Office, watched):
    browser = watched(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = browser.page()
    ticket = office.issue("birth-certificate")
    page.goto(ticket["status_url"])
    expect(page.locator("#ticket")).to_have_attribute("data-connection", "live")
    expect(page.locator("#ticket")).to_have_attribute("data-status", "waiting")
    assert browser.settle(page) == []
    missing = page.goto(f"{office.url}/t/this-is-not-a-ticket-link")
    assert missing.status == 404
    expect(page.locator("main.missing h1")).to_be_visible()
    assert browser.settle(page) == []


def test_the_office_dashboard_draws_and_goes_live(office: Office, watched):
    served = office.issue("health-insurance")
    office.call(4)
    office.act(served, "complete", counter=4)
    browser = watched()
    page = browser.page()
    sign_in(page, office, "manager", "/manager/amol")
    expect(page.locator("#live-state")).to_have_attribute("data-state", "live")
    expect(page.locator("#table-service tbody tr").first).to_be_visible(timeout=15000)
    page.wait_for_function("() => document.getElementById('heatmap').querySelector('td')")
    assert drawn(page, "chart-days")
    assert browser.settle(page) == []


def test_the_regional_dashboard_draws(office: Office, watched):
    browser = watched()
    page = browser.page()
    sign_in(page, office, "admin", "/manager")
    expect(page.locator("#table-office tbody tr").first).to_be_visible(timeout=15000)
    assert drawn(page, "chart-offices")
    assert browser.settle(page) == []


def test_the_office_administration_pages_and_the_audit_log(office: Office, watched):
    browser = watched()
    page = browser.page()
    sign_in(page, office, "manager", "/admin/amol/devices")
    expect(page.locator("#device-rows tr").first).to_be_visible()
    assert browser.settle(page) == []
    page.goto(f"{office.url}/admin/amol/display")
    expect(page.locator("#volume")).not_to_have_value("")
    assert browser.settle(page) == []
    page.goto(f"{office.url}/manager/amol/audit")
    expect(page.locator("main h2")).to_be_visible()
    assert browser.settle(page) == []
    for path in ("/admin", "/admin/amol/setup", "/admin/amol/staff"):
        page.goto(f"{office.url}{path}")
        expect(page.locator("tbody tr").first).to_be_visible()
        assert browser.settle(page) == []
    page.locator("#add-user").click()  # a dialog of the set-up pages
    expect(page.locator("#user-dialog")).to_be_visible()
    assert browser.settle(page) == []


def test_a_refused_page_is_a_page_too(office: Office, watched):
    browser = watched()
    page = browser.page()
    sign_in(page, office, "clerk2", "/counter/amol")
    refused = page.goto(f"{office.url}/manager/amol")
    assert refused.status == 403
    expect(page.locator("main h1")).to_be_visible()
    assert browser.settle(page) == []
