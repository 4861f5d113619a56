"""Setting an office up from the administration pages, as an administrator would on the
first day: the office, a service, a counter and a clerk; a kiosk and a wall display
paired by their codes; then the clerk signs in with the password the page gave and calls
the kiosk's ticket, which the wall display shows."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from harness.demo import DemoServer, seeded_demo
from server.persian import persian_digits as fa
from tests.browser.conftest import screenshot, serious_accessibility_problems
from tests.browser.pairing import approve, shown_code


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[DemoServer]:
    served = seeded_demo(tmp_path_factory.mktemp("admin"))
    served.start()
    yield served
    served.stop()


def signed_in(browser: Browser, server: DemoServer, who: str, password: str, target: str) -> Page:
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="fa-IR")
    page = context.new_page()
    page.goto(f"{server.url}/login?next={target.replace('?', '%3F').replace('=', '%3D')}")
    page.locator("input[name=username]").fill(who)
    page.locator("input[name=password]").fill(password)
    page.locator("input[name=password]").press("Enter")
    page.wait_for_url(re.compile(re.escape(target.split("?")[0])))
    return page


def device(browser: Browser, url: str) -> tuple[Page, str]:
    """A device's page opened with no credential, and the pairing code it shows."""
    page = browser.new_context(viewport={"width": 1280, "height": 720}, locale="fa-IR").new_page()
    page.goto(url)
    return page, shown_code(page)


def test_an_office_set_up_from_the_pages_serves_its_first_citizen(
    chromium: Browser, server: DemoServer
):
    admin = signed_in(chromium, server, "admin", "demo", "/admin")
    expect(admin.locator("#office-rows tr[data-code=amol]")).to_be_visible()
    admin.locator("#office-code").fill("sari")
    admin.locator("#office-name_fa").fill("پیشخوان ساری")
    admin.locator("#office-name_en").fill("Sari Pishkhan")
    admin.locator("#office-add").click()
    expect(admin.locator("#status")).to_contain_text("پیشخوان ساری")
    admin.evaluate("window.scrollTo(0, 0)")
    screenshot(admin, "admin-offices-fa")
    admin.locator("#office-rows tr[data-code=sari] a", has_text="خدمت‌ها و باجه‌ها").click()
    admin.wait_for_url(re.compile("/admin/sari/setup"))

    admin.locator("#add-service").click()
    form = admin.locator("#service-form")
    form.locator("[name=code]").fill("tax")
    form.locator("[name=letter]").fill("t")
    form.locator("[name=name_fa]").fill("امور مالیاتی")
    form.locator("[name=name_en]").fill("Tax")
    form.locator("[name=group]").fill("tax")
    form.locator("[name=target_wait_seconds]").fill("۱۰")
    form.locator("button[type=submit]").click()
    row = admin.locator("#service-rows tr[data-code=tax]")
    expect(row).to_contain_text("T")
    expect(row).to_contain_text("۱۰ دقیقه")

    admin.locator("#add-counter").click()
    form = admin.locator("#counter-form")
    expect(form.locator("[name=number]")).to_have_value("1")
    form.locator("[name=name]").fill("باجه ۱")
    form.locator("input[name=serves][value=tax]").check()
    form.locator("button[type=submit]").click()
    expect(admin.locator("#counter-rows tr[data-number='1']")).to_contain_text("امور مالیاتی")
    admin.evaluate("window.scrollTo(0, 0)")
    screenshot(admin, "admin-setup-fa")

    admin.get_by_role("link", name="کارکنان").click()
    admin.wait_for_url(re.compile("/admin/sari/staff"))
    admin.locator("#add-user").click()
    form = admin.locator("#user-form")
    form.locator("[name=username]").fill("sara")
    form.locator("[name=full_name]").fill("سارا رضایی")
    form.locator("button[type=submit]").click()
    expect(admin.locator("#password-dialog")).to_be_visible()
    password = admin.locator("#password").inner_text()
    assert len(password) == 12
    admin.locator("#password-done").click()
    expect(admin.locator("#user-rows tr[data-username=sara]")).to_contain_text("کارمند")
    screenshot(admin, "admin-staff-fa")

    kiosk, kiosk_code = device(chromium, f"{server.url}/kiosk/sari")
    wall, wall_code = device(chromium, f"{server.url}/display/sari")
    admin.get_by_role("link", name="دستگاه‌ها").click()
    admin.wait_for_url(re.compile("/admin/sari/devices"))
    approve(admin, kiosk_code, "kiosk", "کیوسک ورودی")
    approve(admin, wall_code, "display", "نمایشگر سالن")
    expect(wall.locator("#setup")).to_be_hidden(timeout=15000)
    expect(kiosk.locator(".group, .service").first).to_be_visible(timeout=15000)

    if kiosk.locator('.group[data-group="tax"]').is_visible():
        kiosk.locator('.group[data-group="tax"]').click()
        kiosk.wait_for_timeout(500)  # the kiosk's guard against a tap meant for the group
    kiosk.locator('.service[data-service="tax"]').click()
    expect(kiosk.locator("#ticket-number")).to_have_text(fa("T-001"))

    clerk = signed_in(chromium, server, "sara", password, "/counter/sari")
    clerk.locator("button.pick", has_text=fa("1")).click()
    clerk.get_by_role("button", name="باز کردن باجه").click()
    expect(clerk.locator("#next-up")).to_contain_text(fa("T-001"))
    clerk.locator("button[data-action=next]").click()
    expect(clerk.locator("#ticket-number")).to_have_text(fa("T-001"))
    expect(wall.locator("#now-number")).to_have_text(fa("T-001"), timeout=5000)
    expect(wall.locator("#now-counter")).to_have_text("باجه ۱")
    screenshot(wall, "admin-first-call-display")

    admin.get_by_role("link", name="گزارش تغییرات").click()
    for action in ("service.create", "counter.create", "user.create"):
        expect(admin.locator("body")).to_contain_text(action)
    for page in (admin, kiosk, wall, clerk):
        page.context.close()


def test_each_wrong_field_is_said_next_to_it_and_nothing_is_saved(
    chromium: Browser, server: DemoServer
):
    manager = signed_in(chromium, server, "manager", "demo", "/admin/amol/setup")
    manager.locator("#add-service").click()
    form = manager.locator("#service-form")
    form.locator("[name=code]").fill("visa")
    form.locator("[name=letter]").fill("B")  # national-id's
    form.locator("[name=name_fa]").fill("روادید")
    form.locator("[name=name_en]").fill("Visa")
    form.locator("[name=group]").fill("visa")
    form.locator("[name=target_wait_seconds]").fill("15")
    form.locator("[name=opens_at]").fill("14:00")
    form.locator("[name=closes_at]").fill("08:00")
    form.locator("button[type=submit]").click()
    expect(form.locator("[data-field=closes_at] .error")).to_contain_text("closes_at")
    expect(form.locator("[data-field=name_fa] .error")).to_be_hidden()
    form.locator("[name=closes_at]").fill("۱۶:۰۰")  # Persian digits are read as digits
    form.locator("button[type=submit]").click()
    expect(form.locator("[data-field=letter] .error")).to_contain_text("«B»")
    expect(form.locator("[name=letter]")).to_have_attribute("aria-invalid", "true")
    expect(form.locator("[data-field=closes_at] .error")).to_be_hidden()
    form.locator("button[data-close]").click()
    expect(manager.locator("#service-rows tr[data-code=visa]")).to_have_count(0)
    # The office itself is an administrator's: a manager sees it, but cannot change it.
    expect(manager.locator("#office-name_fa")).to_be_disabled()
    manager.context.close()


@pytest.mark.parametrize("lang", ["fa", "en"])
@pytest.mark.parametrize("path", ["/admin", "/admin/amol/setup", "/admin/amol/staff"])
def test_the_set_up_pages_in_both_languages(
    chromium: Browser, server: DemoServer, lang: str, path: str
):
    target = path + ("?lang=en" if lang == "en" else "")
    page = signed_in(chromium, server, "admin", "demo", target)
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if lang == "fa" else "ltr")
    expect(page.locator("tbody tr").first).to_be_visible()
    if lang == "en" and path.endswith("setup"):
        screenshot(page, "admin-setup-en")
    assert serious_accessibility_problems(page) == []
    page.context.close()


def test_a_clerk_is_not_let_into_the_set_up_pages(chromium: Browser, server: DemoServer):
    clerk = signed_in(chromium, server, "clerk1", "demo", "/counter/amol")
    for path in ("/admin", "/admin/amol/setup", "/admin/amol/staff"):
        response = clerk.goto(f"{server.url}{path}")
        assert response.status == 403
    clerk.context.close()


PROVINCE = """\
offices:
  - code: babol
    name_fa: پیشخوان بابل
    name_en: Babol Pishkhan
    services:
      - code: post
        letter: P
        group: post_bank
        name_fa: پست
        name_en: Post
        opens_at: "{opens}"
"""


def test_a_province_file_is_checked_line_by_line_then_imported_from_the_page(
    chromium: Browser, server: DemoServer
):
    admin = signed_in(chromium, server, "admin", "demo", "/admin")
    upload = admin.locator("#province-file")
    upload.set_input_files(
        files=[
            {
                "name": "babol.yaml",
                "mimeType": "application/yaml",
                "buffer": PROVINCE.format(opens="25:00").encode(),
            }
        ]
    )
    admin.locator("#province-check").click()
    problem = admin.locator("#province-result .problems li")
    expect(problem).to_have_count(1)
    expect(problem).to_contain_text("babol.yaml:۱۱")
    expect(problem).to_contain_text("«25:00»")
    expect(admin.locator("#office-rows tr[data-code=babol]")).to_have_count(0)

    upload.set_input_files(
        files=[
            {
                "name": "babol.yaml",
                "mimeType": "application/yaml",
                "buffer": PROVINCE.format(opens="08:00").encode(),
            }
        ]
    )
    admin.locator("#province-check").click()
    expect(admin.locator("#province-result")).to_contain_text("۲ مورد می‌افزاید")
    expect(admin.locator("#office-rows tr[data-code=babol]")).to_have_count(0)
    admin.locator("#province-import").click()
    expect(admin.locator("#province-result")).to_contain_text("وارد شد")
    expect(admin.locator("#office-rows tr[data-code=babol]")).to_be_visible()
    admin.context.close()
