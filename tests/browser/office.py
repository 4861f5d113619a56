"""A served demo office and its clerks' pages: what the counter and whole-office tests share.

Demo counters: 1 serves national-id (B) and birth-certificate (C) first, health-insurance
(A) second; 4 serves health-insurance first and national-id second.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from harness.demo import DemoServer, seeded_demo
from server.persian import persian_digits

# What the issue asks of the live page: a change shows within a second.
LIVE_MS = 1000


@dataclass
class Office:
    server: DemoServer
    kiosk: str
    display: str
    #: each clerk's session cookie, once signed in through the form
    sessions: dict[str, list] = field(default_factory=dict)
    #: staff users' bearer tokens for API calls, by user name
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.server.url

    def issue(self, service: str = "national-id") -> dict:
        status, ticket = self.server.post(
            "/api/v1/offices/amol/tickets", self.kiosk, {"service": service}
        )
        assert status == 201
        return ticket

    @classmethod
    def serve(cls, instance: Path) -> Office:
        """The demo office served from ``instance``, with a kiosk (no printer) and a display."""
        server = seeded_demo(instance)
        kiosk = server.token("--device", "kiosk", "--office", "amol", "--printer", "none")
        display = server.token("--device", "display", "--office", "amol")
        server.start()
        return cls(server, kiosk, display)

    def token(self, username: str) -> str:
        """A staff user's bearer token, made once."""
        if username not in self.tokens:
            self.tokens[username] = self.server.token("--user", username)
        return self.tokens[username]

    def call(self, counter: int = 1) -> dict | None:
        """*Next* by the clerk of counter ``counter`` (ids follow numbers in the demo)."""
        status, ticket = self.server.post(
            f"/api/v1/counters/{counter}/next", self.token(f"clerk{counter}")
        )
        assert status in (200, 204)
        return ticket

    def act(self, ticket: dict, action: str, body: dict | None = None, counter: int = 1) -> dict:
        """A command on ``ticket`` by the clerk of counter ``counter``."""
        status, answer = self.server.post(
            f"/api/v1/tickets/{ticket['id']}/{action}", self.token(f"clerk{counter}"), body
        )
        assert status == 200
        return answer

    def quiet(self) -> None:
        """Every ticket of the day finished, every counter closed (behind the server's back:
        the pages of the next test are opened afterwards)."""
        with sqlite3.connect(
            self.server.env["NOBAT_DATABASE_URL"].removeprefix("sqlite:///")
        ) as db:
            db.execute(
                "UPDATE tickets SET status = 'cancelled' "
                "WHERE status IN ('waiting', 'called', 'serving', 'parked')"
            )
            db.execute("UPDATE counters SET state = 'closed', clerk_id = NULL, pause_reason = NULL")


def clerk_page(browser: Browser, office: Office, username: str, lang: str = "fa") -> Page:
    """A clerk on their counter page, in a browser of their own (no counter chosen yet).

    The first time signed in through the form; later with the session cookie it gave.
    """
    context = browser.new_context(viewport={"width": 1366, "height": 820}, locale="fa-IR")
    page = context.new_page()
    english = "?lang=en" if lang == "en" else ""
    if username in office.sessions:
        context.add_cookies(office.sessions[username])
        page.goto(f"{office.url}/counter/amol{english}")
        return page
    page.goto(f"{office.url}/login?next=/counter/amol" + ("%3Flang%3Den" if lang == "en" else ""))
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill("demo")
    page.locator("input[name=password]").press("Enter")
    page.wait_for_url(re.compile(r"/counter/amol"))
    office.sessions[username] = [c for c in context.cookies() if c["name"] == "nobat_session"]
    return page


def at_counter(page: Page, number: int) -> Page:
    """Choose a counter in the picker (the browser remembers it)."""
    page.locator("button.pick", has_text=persian_digits(number)).click()
    expect(page.locator("#work")).to_be_visible()
    return page


def fa(number: str) -> str:
    return persian_digits(number)


def current(page: Page):
    return page.locator("#ticket-number")


def drawn(page: Page, canvas: str) -> bool:
    """Whether the canvas holds any painted pixel."""
    return page.evaluate(
        """(id) => {
            const c = document.getElementById(id);
            const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            return c.width > 0 && data.some((v, i) => i % 4 === 3 && v > 0);
        }""",
        canvas,
    )
