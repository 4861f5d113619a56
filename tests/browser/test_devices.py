"""Pairing kiosks and wall displays on the devices page, and revoking them.

A kiosk or display opened with no token shows a six-digit code; a manager signs in,
enters it on the devices page, and the page turns into the working kiosk or board.
Revoked, it shows a pairing code again.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import screenshot, serious_accessibility_problems
from tests.browser.office import Office
from tests.browser.pairing import approve, shown_code


@pytest.fixture(scope="module")
def office(tmp_path_factory) -> Iterator[Office]:
    served = Office.serve(tmp_path_factory.mktemp("devices"))
    yield served
    served.server.stop()


def device_page(browser: Browser, url: str) -> Page:
    context = browser.new_context(viewport={"width": 1280, "height": 720}, locale="fa-IR")
    page = context.new_page()
    page.goto(url)
    return page


def devices_page(browser: Browser, office: Office, lang: str = "fa") -> Page:
    """The manager, signed in through the form, on the devices page."""
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="fa-IR")
    page = context.new_page()
    target = "/admin/amol/devices" + ("%3Flang%3Den" if lang == "en" else "")
    page.goto(f"{office.url}/login?next={target}")
    page.locator("input[name=username]").fill("manager")
    page.locator("input[name=password]").fill("demo")
    page.locator("input[name=password]").press("Enter")
    page.wait_for_url(re.compile(r"/admin/amol/devices"))
    expect(page.locator("#device-rows tr").first).to_be_visible()
    return page


def test_a_kiosk_is_paired_by_its_code_issues_tickets_and_is_revoked(
    chromium: Browser, office: Office
):
    kiosk = device_page(chromium, f"{office.url}/kiosk/amol")
    expect(kiosk.locator("#screen-setup")).to_be_visible()
    code = shown_code(kiosk)
    persian = kiosk.locator("#pair-code").inner_text()
    assert persian != code and len(persian) == 6  # Persian digits on a Persian page

    manager = devices_page(chromium, office)
    approve(manager, persian, "kiosk", "کیوسک ورودی")  # typed as the screen shows it
    expect(kiosk.locator(".group").first).to_be_visible(timeout=15000)
    assert kiosk.evaluate("() => localStorage.getItem('nobat.kiosk.amol')").startswith("nbt_")
    kiosk.locator('.group[data-group="civil_registration"]').click()
    kiosk.wait_for_timeout(500)
    kiosk.locator('.service[data-service="national-id"]').click()
    expect(kiosk.locator("#screen-ticket")).to_be_visible()

    manager.reload()
    row = manager.locator("#device-rows tr", has_text="کیوسک ورودی")
    expect(row).to_be_visible()
    expect(row.locator(".seen")).not_to_have_text("هرگز")
    row.locator("button.revoke").click()
    expect(manager.locator("#revoke-dialog")).to_be_visible()
    manager.locator("#revoke-confirm").click()
    expect(row).to_have_count(0)
    expect(kiosk.locator("#screen-setup")).to_be_visible(timeout=15000)
    assert shown_code(kiosk) != code
    expect(kiosk.locator("#setup-refused")).to_be_visible()


def test_a_display_is_paired_and_revoked(chromium: Browser, office: Office):
    board = device_page(chromium, f"{office.url}/display/amol")
    code = shown_code(board)
    manager = devices_page(chromium, office)
    approve(manager, code, "display", "Hall")
    expect(board.locator("#setup")).to_be_hidden(timeout=15000)
    expect(board.locator("#counters li").first).to_be_visible()

    manager.reload()
    row = manager.locator("#device-rows tr", has_text="Hall")
    row.locator("button.revoke").click()
    manager.locator("#revoke-confirm").click()
    expect(row).to_have_count(0)
    expect(board.locator("#setup")).to_be_visible(timeout=15000)
    shown_code(board)


def test_the_form_says_what_is_wrong_with_each_field(chromium: Browser, office: Office):
    manager = devices_page(chromium, office)
    manager.locator("#pair-code").fill("12")
    manager.locator("#pair-submit").click()
    expect(manager.locator("#pair-code-error")).to_be_visible()
    expect(manager.locator("#pair-name-error")).to_be_visible()
    manager.locator("#pair-code").fill("000000")
    manager.locator("#pair-name").fill("x")
    manager.locator("#pair-submit").click()
    expect(manager.locator("#pair-code-error")).to_contain_text("کد")
    expect(manager.locator("#pair-name-error")).to_be_hidden()


@pytest.mark.parametrize("lang", ["fa", "en"])
def test_the_devices_page_in_both_languages(chromium: Browser, office: Office, lang: str):
    manager = devices_page(chromium, office, lang)
    expect(manager.locator("html")).to_have_attribute("dir", "rtl" if lang == "fa" else "ltr")
    screenshot(manager, f"devices-{lang}")
    assert serious_accessibility_problems(manager) == []


def test_a_manager_sets_the_wall_displays_message_and_voice_on_its_page(
    office: Office, chromium: Browser
):
    page = devices_page(chromium, office)
    page.get_by_role("navigation", name="صفحه‌های دفتر").get_by_role(
        "link", name="نمایشگر دیواری"
    ).click()
    page.wait_for_url(re.compile(r"/admin/amol/display"))
    expect(page.locator("#volume")).to_have_value(re.compile(r"^[0-9]+$"))
    page.locator("#message").fill("امروز تا ساعت ۱۴ باز هستیم")
    page.locator("#volume").fill("150")
    page.locator("#quiet-from").fill("22:00")
    page.locator("#save").click()
    expect(page.locator("#volume-error")).to_have_text("بلندی صدا عددی صحیح از ۰ تا ۱۰۰ است.")
    expect(page.locator("#quiet-error")).to_be_visible()
    page.locator("#volume").fill("60")
    page.locator("#quiet-until").fill("۰۷:۰۰")  # Persian digits are read as digits
    page.locator("#save").click()
    expect(page.locator("#status")).to_have_text(re.compile("ذخیره شد"))
    assert page.locator("#volume-error").is_hidden() and page.locator("#quiet-error").is_hidden()
    status, settings = office.server.get(
        "/api/v1/offices/amol/display-settings", office.token("manager")
    )
    assert status == 200 and settings["volume"] == 60
    assert settings["message"] == "امروز تا ساعت ۱۴ باز هستیم"
    assert settings["quiet_hours"] == {"from": "22:00", "until": "07:00"}
    assert serious_accessibility_problems(page) == []
    page.context.close()
