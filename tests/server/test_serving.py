"""``nobat serve`` holds its sockets in greenlets (the default) or in threads
(``NOBAT_ASYNC_MODE=threading``): the office works the same either way."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.demo import Server, seeded_demo
from harness.processes import call
from tests.live.client import LiveClient

pytestmark = pytest.mark.slow


@pytest.fixture(params=["threading", "gevent"])
def served(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Server]:
    demo = seeded_demo(tmp_path)
    env = {**demo.env, "NOBAT_ASYNC_MODE": request.param, "NOBAT_LOG_LEVEL": "warning"}
    server = Server(demo.url, env, log=tmp_path / "server.log")
    server.start()
    yield server
    server.stop()


def test_a_kiosk_ticket_prints_on_the_preview_printer_and_its_call_reaches_the_display(
    served: Server,
):
    kiosk = served.token("--device", "kiosk", "--office", "amol")
    display_token = served.token("--device", "display", "--office", "amol")
    clerk = served.token("--user", "clerk1")
    display = LiveClient([served.url], display_token)
    display.connect()
    try:
        ticket = served.issue(kiosk)
        # Rendering runs beside the requests (in gevent's real threads under gevent).
        assert served.wait_job(kiosk, ticket["print"]["id"])["state"] == "printed"
        status, counters = call("GET", f"{served.url}/api/v1/offices/amol/counters", clerk)
        assert status == 200
        serving = [c["id"] for c in counters if "national-id" in services_of(c)]
        status, called = call("POST", f"{served.url}/api/v1/counters/{serving[0]}/next", clerk)
        assert (status, called["id"]) == (200, ticket["id"])

        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not called_on(display, ticket["id"]):
            time.sleep(0.05)
        assert called_on(display, ticket["id"])
        assert [e["seq"] for e in display.applied] == sorted(e["seq"] for e in display.applied)
    finally:
        display.close()


def services_of(counter: dict) -> set[str]:
    return {link["service"] for link in counter["services"]}


def called_on(display: LiveClient, ticket_id: int) -> bool:
    with display.lock:
        return any(
            e["type"] == "called" and e["ticket"]["id"] == ticket_id for e in display.applied
        )
