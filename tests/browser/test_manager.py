"""The managers' dashboard in a real browser: three simulated days of amol's history, a
manager signed in through the form, charts and tables drawn, live tiles following the queue."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from harness.demo import seeded_demo
from tests.browser.conftest import screenshot, serious_accessibility_problems
from tests.browser.office import LIVE_MS, Office, drawn

WIDE = {"width": 1366, "height": 768}


@pytest.fixture(scope="module")
def office(tmp_path_factory) -> Iterator[Office]:
    """The demo office with three simulated working days before today."""
    server = seeded_demo(tmp_path_factory.mktemp("manager"))
    server.nobat("simulate", "--office", "amol", "--days", "3", "--seed", "1")
    kiosk = server.token("--device", "kiosk", "--office", "amol", "--printer", "none")
    display = server.token("--device", "display", "--office", "amol")
    server.start()
    yield Office(server, kiosk, display)
    server.stop()


@pytest.fixture
def wide(chromium) -> Iterator[Page]:
    context = chromium.new_context(viewport=WIDE, locale="fa-IR")
    yield context.new_page()
    context.close()


def sign_in(page: Page, url: str, username: str) -> None:
    page.goto(f"{url}/login")
    page.get_by_label("نام کاربری").type(username)
    page.get_by_label("گذرواژه").type("demo")
    page.get_by_role("button", name="ورود").click()


def test_a_manager_lands_on_the_dashboard_with_charts_and_tables(office: Office, wide: Page):
    sign_in(wide, office.url, "manager")
    wide.wait_for_url(f"{office.url}/manager/amol")
    expect(wide.locator("#table-service tbody tr").first).to_be_visible(timeout=15000)
    expect(wide.locator("#live-state")).to_have_attribute("data-state", "live")
    for canvas in ("chart-days", "chart-hours", "chart-level", "chart-staffing"):
        assert drawn(wide, canvas), canvas
    assert wide.locator("#table-counter tbody tr").count() >= 1
    assert wide.locator("#table-clerk tbody tr").count() >= 1
    assert wide.locator("#heatmap td").count() > 0
    assert wide.locator("#history-problem").is_hidden()
    # Persian digits on a Persian page, and no sideways scrolling at 1366×768.
    assert "۰" in wide.locator("#table-service tbody").inner_text() or "٪" in wide.content()
    assert wide.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    href = wide.locator(".export[data-by=service][data-format=csv]").get_attribute("href")
    assert href.startswith("/api/v1/offices/amol/stats.csv?from=") and "by=service" in href
    assert serious_accessibility_problems(wide) == []
    screenshot(wide, "manager-fa")


def test_live_tiles_follow_a_ticket_issued_through_the_api(office: Office, wide: Page):
    sign_in(wide, office.url, "manager")
    wide.wait_for_url(f"{office.url}/manager/amol")
    expect(wide.locator("#live-state")).to_have_attribute("data-state", "live")
    before = wide.locator("#waiting-total").inner_text()
    office.issue("national-id")
    expect(wide.locator("#waiting-total")).not_to_have_text(before, timeout=LIVE_MS)
    expect(wide.locator("#longest-wait")).not_to_have_text("–", timeout=5000)


def test_the_dashboard_in_english(office: Office, chromium):
    context = chromium.new_context(viewport={"width": 1920, "height": 1080}, locale="en-GB")
    page = context.new_page()
    try:
        sign_in(page, office.url, "manager")
        page.wait_for_url(f"{office.url}/manager/amol")
        page.goto(f"{office.url}/manager/amol?lang=en")
        expect(page.locator("html")).to_have_attribute("dir", "ltr")
        expect(page.get_by_role("heading", name="Manager's dashboard")).to_be_visible()
        expect(page.locator("#table-service tbody tr").first).to_be_visible(timeout=15000)
        assert drawn(page, "chart-days")
        # Every service is named next to its bar, however long its English name.
        named = page.evaluate(
            "Chart.getChart(document.getElementById('chart-level')).scales.y.ticks.length"
        )
        assert named == page.locator("#table-service tbody tr").count()
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        assert serious_accessibility_problems(page) == []
        screenshot(page, "manager-en")
    finally:
        context.close()


def test_a_clerk_is_refused_and_an_anonymous_browser_signs_in_first(office: Office, page: Page):
    page.goto(f"{office.url}/manager/amol")
    assert page.url == f"{office.url}/login?next=/manager/amol"
    sign_in(page, office.url, "clerk1")
    page.wait_for_url(f"{office.url}/counter/amol")
    answer = page.goto(f"{office.url}/manager/amol")
    assert answer.status == 403
    expect(page.locator("main")).to_contain_text("مدیران")


def test_offices_are_compared_on_the_regional_page(office: Office, wide: Page):
    sign_in(wide, office.url, "admin")
    wide.goto(f"{office.url}/manager")
    rows = wide.locator("#table-office tbody tr")
    expect(rows.first).to_be_visible(timeout=15000)
    expect(rows.first).to_contain_text("آمل")
    assert drawn(wide, "chart-offices")
    assert wide.locator("#history-problem").is_hidden()
    assert serious_accessibility_problems(wide) == []


def test_the_audit_log_shows_who_changed_the_wall_displays_message(office: Office, wide: Page):
    office.server.nobat("office", "message", "amol", "امروز تا ساعت ۱۴ باز هستیم")
    sign_in(wide, office.url, "manager")
    wide.wait_for_url(f"{office.url}/manager/amol")
    wide.get_by_role("link", name="گزارش تغییرات").click()
    wide.wait_for_url(f"{office.url}/manager/amol/audit")
    row = wide.locator("#audit tbody tr").first
    expect(row).to_contain_text("command line")
    expect(row).to_contain_text("تنظیمات نمایشگر دیواری تغییر کرد")
    expect(row).to_contain_text("امروز تا ساعت ۱۴ باز هستیم")
    wide.get_by_role("textbox", name="چه کسی").fill("someone else")
    wide.get_by_role("button", name="نمایش").click()
    expect(wide.locator("#audit-empty")).to_be_visible()
    assert serious_accessibility_problems(wide) == []
