"""Staff sign-in in Chromium, devices paired by a one-time link, and sockets of a session.

One demo server for the module (users admin, manager, clerk1…clerk4, password
``demo``); the TLS test serves its own with a certificate made by openssl.
"""

from __future__ import annotations

import re
import ssl
import subprocess
import time
import urllib.request
from collections.abc import Iterator

import pytest
import socketio
from playwright.sync_api import Page, expect

from harness.demo import DemoServer, seeded_demo
from harness.processes import free_port
from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser

TEN_HOURS = 10 * 3600


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[DemoServer]:
    server = seeded_demo(tmp_path_factory.mktemp("signin"))
    server.start()
    yield server
    server.stop()


def sign_in(page: Page, url: str, username: str, password: str = "demo") -> None:
    """Type into the form as a person does, and send it."""
    page.goto(f"{url}/login")
    page.get_by_label("نام کاربری").type(username)
    page.get_by_label("گذرواژه").type(password)
    page.get_by_role("button", name="ورود").click()


def session_cookie(page: Page) -> dict | None:
    return next((c for c in page.context.cookies() if c["name"] == "nobat_session"), None)


def test_a_clerk_signs_in_and_lands_on_the_counter_page(site, page):
    sign_in(page, site.url, "clerk1")
    page.wait_for_url(f"{site.url}/counter/amol")
    cookie = session_cookie(page)
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Strict"
    assert cookie["secure"] is False  # plain HTTP; see the TLS test
    assert abs(cookie["expires"] - (time.time() + TEN_HOURS)) < 120
    assert "nobat_session" not in page.evaluate("document.cookie")


def test_a_manager_lands_on_their_dashboard_and_signs_out(site, page):
    sign_in(page, site.url, "manager")
    page.wait_for_url(f"{site.url}/manager/amol")
    expect(page.locator(".account")).to_contain_text("Manager")
    old = session_cookie(page)
    page.get_by_role("button", name="خروج").click()
    page.wait_for_url(f"{site.url}/login")
    assert session_cookie(page) is None

    page.context.add_cookies([old])  # the old cookie, replayed: its session has ended
    page.goto(f"{site.url}/")
    expect(page.locator(".account a")).to_have_text("ورود کارکنان")
    status, _body = fetch(page, "/api/v1/offices/amol/queue")
    assert status == 401


def test_a_wrong_password_and_an_unknown_user_read_the_same(site, page):
    messages = []
    for username, password in (("clerk2", "not it"), ("nobody", "demo")):
        sign_in(page, site.url, username, password)
        messages.append(page.get_by_role("alert").inner_text())
    assert messages == ["نام کاربری یا گذرواژه نادرست است."] * 2
    assert session_cookie(page) is None
    expect(page.get_by_label("نام کاربری")).to_have_value("nobody")


@pytest.mark.parametrize("lang", ["fa", "en"])
def test_the_sign_in_page_in_each_language(site, page, lang):
    page.goto(f"{site.url}/login?lang={lang}")
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if lang == "fa" else "ltr")
    expect(page.get_by_role("main")).to_be_visible()
    expect(
        page.get_by_role("textbox", name="User name" if lang == "en" else "نام کاربری")
    ).to_be_focused()
    screenshot(page, f"login-{lang}")


def test_a_signed_in_page_connects_its_socket_without_a_token(site, page):
    sign_in(page, site.url, "clerk3")
    page.wait_for_url(f"{site.url}/counter/amol")
    office = page.evaluate(
        """async () => {
          const { LiveOffice } = await import("/static/nobat-live.js");
          return await new Promise((resolve) => {
            new LiveOffice({
              office: "amol",
              onBoard: (board) => resolve(board.office),
              onState: (state) => { if (state === "refused") resolve(state); },
            }).start();
          });
        }"""
    )
    assert office == "amol"


def test_a_socket_from_another_origin_is_refused_even_with_the_cookie(site, page):
    sign_in(page, site.url, "clerk4")
    page.wait_for_url(f"{site.url}/counter/amol")
    cookie = f"nobat_session={session_cookie(page)['value']}"
    assert live_office(site.url, {"Cookie": cookie, "Origin": site.url}) == "amol"
    assert live_office(site.url, {"Cookie": cookie, "Origin": "http://evil.example"}) is None
    assert live_office(site.url, {"Origin": site.url}) is None  # no cookie: nobody


def live_office(url: str, headers: dict[str, str]) -> str | None:
    """The office whose snapshot a socket with these headers receives, or None if refused."""
    client = socketio.Client(reconnection=False)
    boards: list[dict] = []
    client.on("snapshot", boards.append)
    try:
        # Long-polling first: a refused handshake is then a plain HTTP 400.
        client.connect(url, headers=headers, auth={"office": "amol"}, transports=["polling"])
    except socketio.exceptions.ConnectionError:
        return None
    try:
        deadline = time.monotonic() + 10
        while not boards and time.monotonic() < deadline:
            time.sleep(0.05)
        return boards[0]["office"] if boards else None
    finally:
        client.disconnect()


def fetch(page: Page, path: str) -> tuple[int, str]:
    """A same-origin request from the page, as its scripts make them (cookies go along)."""
    answer = page.evaluate(
        "async (path) => { const r = await fetch(path); return [r.status, await r.text()]; }",
        path,
    )
    return answer[0], answer[1]


# --- devices paired by a one-time link -------------------------------------------------


def link(site: DemoServer, device: str) -> str:
    return site.nobat("device", "link", "--device", device, "--office", "amol", "--url", site.url)


def test_a_kiosk_opened_by_its_link_keeps_a_token_and_forgets_the_link(site, page, chromium):
    address = link(site, "kiosk")
    page.goto(address)
    expect(page.locator(".group").first).to_be_visible()
    assert "#link" not in page.url and "link=" not in page.url
    token = page.evaluate("localStorage.getItem('nobat.kiosk.amol')")
    assert token.startswith("nbt_")
    page.reload()
    expect(page.locator(".group").first).to_be_visible()

    elsewhere = chromium.new_context(locale="fa-IR").new_page()
    try:
        elsewhere.goto(address)  # the same link, spent
        expect(elsewhere.locator("#screen-setup")).to_be_visible()
        expect(elsewhere.locator("#setup-refused")).to_have_text(
            "این پیوند دستگاه پیش‌تر به کار رفته است؛ پیوند تازه‌ای بخواهید"
        )
        assert elsewhere.evaluate("localStorage.getItem('nobat.kiosk.amol')") is None
    finally:
        elsewhere.context.close()


def test_a_display_opened_by_its_link_keeps_a_token_and_forgets_the_link(site, page, chromium):
    address = link(site, "display")
    page.goto(address)
    expect(page.locator("#counters li")).to_have_count(4)
    assert "link=" not in page.url
    assert page.evaluate("localStorage.getItem('nobat.display.amol')").startswith("nbt_")

    elsewhere = chromium.new_context(locale="fa-IR").new_page()
    try:
        elsewhere.goto(address)
        expect(elsewhere.locator("#setup")).to_be_visible()
        expect(elsewhere.locator("#setup-refused")).to_contain_text("پیش‌تر به کار رفته است")
        expect(elsewhere.locator("#counters li")).to_have_count(0)
    finally:
        elsewhere.context.close()


# --- over TLS -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tls_site(tmp_path_factory) -> Iterator[DemoServer]:
    """The demo served by gunicorn itself over TLS, with a self-signed certificate."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "nobat.crt", folder / "nobat.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    server = seeded_demo(folder)
    server.env |= {"NOBAT_TLS_CERT": str(cert), "NOBAT_TLS_KEY": str(key)}
    server.url = f"https://127.0.0.1:{free_port()}"
    server.launch()
    try:
        wait_for_tls(server.url)
        yield server
    finally:
        server.stop()


def wait_for_tls(url: str, timeout: float = 90) -> None:
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/api/v1/health", timeout=1, context=context):
                return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"{url} did not come up")


def test_over_tls_the_session_cookie_is_secure(tls_site, chromium):
    context = chromium.new_context(ignore_https_errors=True, locale="fa-IR")
    try:
        page = context.new_page()
        sign_in(page, tls_site.url, "clerk1")
        page.wait_for_url(re.compile(r"/counter/amol$"))
        cookie = session_cookie(page)
        assert cookie["secure"] is True and cookie["httpOnly"] is True
    finally:
        context.close()


def test_no_secret_of_the_sign_in_travels_in_a_url(site, page):
    """Neither the password nor the session's secret is ever part of an address."""
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    sign_in(page, site.url, "clerk2")
    page.wait_for_url(f"{site.url}/counter/amol")
    secret = session_cookie(page)["value"]
    assert requests
    assert not [url for url in requests if "password" in url or secret in url]
