"""A served demo office and a real Chromium (Debian's, driven by Playwright) for page tests."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.live.cluster import REPO, free_port, wait_healthy

CHROMIUM = os.environ.get("NOBAT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
SCREENSHOTS = REPO / "docs" / "screenshots"


@dataclass
class DemoServer:
    """``nobat serve`` on a fresh SQLite demo office, as ``make demo`` runs it."""

    url: str
    env: dict[str, str]
    process: subprocess.Popen | None = None

    def nobat(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "server.cli", *args],
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
        return result.stdout.strip()

    def token(self, *args: str) -> str:
        return self.nobat("token", "create", *args)

    def post(self, path: str, token: str, body: dict | None = None) -> tuple[int, dict | None]:
        return self._call("POST", path, token, json.dumps(body or {}).encode())

    def get(self, path: str, token: str) -> tuple[int, dict | None]:
        return self._call("GET", path, token)

    def _call(
        self, method: str, path: str, token: str, data: bytes | None = None
    ) -> tuple[int, dict | None]:
        request = urllib.request.Request(
            self.url + path,
            data=data,
            method=method,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None

    def start(self) -> None:
        port = int(self.url.rsplit(":", 1)[1])
        self.process = subprocess.Popen(
            [sys.executable, "-m", "server.cli", "serve", "--port", str(port)],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_healthy(port, timeout=90)
        except TimeoutError:
            self.stop()
            raise

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=15)
            self.process = None


def seeded_demo(instance: Path) -> DemoServer:
    """A migrated and seeded demo office on SQLite in ``instance``, not yet served."""
    env = {
        **os.environ,
        "NOBAT_INSTANCE": str(instance),
        "NOBAT_DATABASE_URL": f"sqlite:///{instance / 'nobat.sqlite3'}",
        "NOBAT_DEMO_PASSWORD": "demo",
        "NOBAT_SECRET_KEY": "browser-tests",
        # Tests switch a kiosk's printer in the database behind the server's back.
        "NOBAT_TOKEN_CACHE_SECONDS": "0",
    }
    env.pop("NOBAT_REDIS_URL", None)
    server = DemoServer(f"http://127.0.0.1:{free_port()}", env)
    server.nobat("db", "upgrade")
    server.nobat("seed-demo")
    return server


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
