"""A served demo office and a real Chromium (Debian's, driven by Playwright) for page tests."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.demo import CHROMIUM, CHROMIUM_ARGS, DemoServer, seeded_demo
from harness.processes import REPO

SCREENSHOTS = REPO / "docs" / "screenshots"


@pytest.fixture
def demo(tmp_path) -> Iterator[DemoServer]:
    server = seeded_demo(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def chromium():
    if not Path(CHROMIUM).exists() or not shutil.which(CHROMIUM):
        pytest.fail(f"Chromium is missing at {CHROMIUM}: `make test` installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium):
    context = chromium.new_context(viewport={"width": 1280, "height": 720}, locale="fa-IR")
    result = context.new_page()
    yield result
    context.close()


def screenshot(page, name: str) -> Path:
    """Save a screenshot where the README shows it."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"


def serious_accessibility_problems(page) -> list[str]:
    """What axe-core (installed from npm) finds serious or critical on the page as it is."""
    if not AXE.exists():
        pytest.fail(f"axe-core is missing at {AXE}: `make test` installs it with npm")
    # Evaluated through the DevTools protocol: the pages' CSP refuses an inline <script>.
    page.evaluate(AXE.read_text() + "\n;undefined")
    found = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['impact']}: {v['id']} ({v['help']}) at {[n['target'] for n in v['nodes']][:3]}"
        for v in found["violations"]
        if v["impact"] in ("serious", "critical")
    ]
