"""Pairing a device in the browser: the code its screen shows, and a manager approving it."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

CODE = re.compile(r"^[0-9]{6}$")


def shown_code(page: Page) -> str:
    """The six-digit code a kiosk or display opened without a credential shows."""
    box = page.locator("#pair-code")
    expect(box).to_have_attribute("data-code", CODE, timeout=10000)
    return box.get_attribute("data-code")


def approve(page: Page, code: str, kind: str, name: str) -> None:
    """On the devices page: enter the code, choose the kind and name the device."""
    page.locator("#pair-code").fill(code)
    page.locator(f"input[name=kind][value={kind}]").check()
    page.locator("#pair-name").fill(name)
    page.locator("#pair-submit").click()
    expect(page.locator("#pair-status")).not_to_be_empty()
