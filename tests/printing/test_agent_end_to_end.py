"""The print agent for real: ``nobat serve``, ``python -m kiosk.agent`` and a serial printer
on a pseudo-terminal that answers status queries like a thermal printer.
"""

from __future__ import annotations

import re
import time

from harness.processes import wait_until
from printer_drivers import PrinterStatus
from tests.printing.conftest import MAX_AGE, Rig
from tests.printing.rig import KioskSocket

LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (INFO|WARNING|ERROR) \S")


def printed_once(rig: Rig) -> None:
    """The fake printer got exactly one ticket: a GS v 0 raster as wide as 80 mm, one cut."""
    fake = rig.printer.printer
    fake.wait_for(lambda p: p.cuts >= 1, timeout=10)
    time.sleep(0.1)  # a second ticket, if any, would arrive now
    assert fake.cuts == 1
    assert fake.rasters and {r.width_bytes for r in fake.rasters} == {72}
    assert b"\x1dv0" in fake.control
    assert fake.stray == bytearray()  # nothing that would print as text


def test_a_ticket_prints_on_the_agents_printer_and_the_kiosk_hears_it(
    served: Rig, kiosk_socket: KioskSocket
):
    ticket = served.server.issue(served.kiosk)
    job = ticket["print"]
    assert job["printer"] == "agent"
    assert job["reason"] is None  # the agent is connected

    assert served.server.wait_job(served.kiosk, job["id"])["state"] == "printed"
    printed_once(served)
    assert served.printer.printer.queries[:2] == [1, 4]  # asked the printer before printing
    status = kiosk_socket.status(job["id"], "printed")
    assert status["ticket"] == ticket["id"]


def test_paper_out_fails_the_job_and_the_next_ticket_prints_after_a_new_roll(
    served: Rig, kiosk_socket: KioskSocket
):
    fake = served.printer.printer
    fake.paper = PrinterStatus.PAPER_OUT
    refused = served.server.issue(served.kiosk)["print"]["id"]

    job = served.server.wait_job(served.kiosk, refused)
    assert (job["state"], job["reason"]) == ("failed", "paper_out")
    assert "paper" in job["message"]
    assert kiosk_socket.status(refused, "failed")["reason"] == "paper_out"
    assert fake.rasters == [] and fake.cuts == 0
    assert served.agent.alive()

    fake.paper = PrinterStatus.PAPER_OK  # the clerk changed the roll
    fresh = served.server.issue(served.kiosk)["print"]["id"]
    assert served.server.wait_job(served.kiosk, fresh)["state"] == "printed"
    kiosk_socket.status(fresh, "printed")
    printed_once(served)
    assert served.server.job(served.kiosk, refused)["state"] == "failed"  # never printed late


def test_without_the_agent_tickets_wait_then_go_stale_and_never_print(
    served: Rig, kiosk_socket: KioskSocket
):
    assert served.agent.stop() == 0  # SIGTERM: a clean exit
    assert served.agent.output().rstrip().endswith("INFO stopped")
    waiting = [served.server.issue(served.kiosk)["print"] for _ in range(2)]
    for job in waiting:
        assert (job["state"], job["reason"]) == ("pending", "agent_not_connected")
        assert kiosk_socket.status(job["id"], "pending")["reason"] == "agent_not_connected"

    time.sleep(MAX_AGE + 0.5)  # the outage outlasts NOBAT_PRINT_MAX_AGE
    assert {served.server.job(served.kiosk, j["id"])["state"] for j in waiting} == {"pending"}
    served.agent.start()
    for job in waiting:
        assert served.server.wait_job(served.kiosk, job["id"])["state"] == "stale"

    fresh = served.server.issue(served.kiosk)["print"]["id"]
    assert served.server.wait_job(served.kiosk, fresh)["state"] == "printed"
    printed_once(served)  # the fresh ticket only, no pile of old ones


def test_the_agent_outlives_the_server_and_reconnects_when_it_returns(served: Rig):
    connections = served.agent.connections()
    seen = len(served.agent.output())
    served.server.kill()
    wait_until(
        lambda: "lost the server" in (new := served.agent.output()[seen:]) and "cannot con" in new,
        "the agent to notice and fail to reconnect while the server is down",
    )
    assert served.agent.alive()

    served.server.start()
    served.agent.wait_connected(connections + 1)
    assert served.agent.alive()
    job = served.server.issue(served.kiosk)["print"]
    assert job["reason"] is None  # the server knows the agent is back
    assert served.server.wait_job(served.kiosk, job["id"])["state"] == "printed"
    printed_once(served)
    assert "Traceback" not in served.agent.output()


def test_the_agent_logs_plain_lines(served: Rig):
    lines = served.agent.output().splitlines()
    assert any("print agent for" in line and "serial://" in line for line in lines)
    for line in lines:
        assert LOG_LINE.match(line), line  # no tracebacks, no library noise


# Last: it serves with a longer NOBAT_PRINT_MAX_AGE, which the next test would have to undo.
def test_tickets_issued_while_the_agent_was_away_print_when_it_comes_back(rig: Rig):
    rig.agent.stop()
    rig.restart(max_age=60)  # an outage shorter than NOBAT_PRINT_MAX_AGE
    rig.printer.reset()
    job = rig.server.issue(rig.kiosk)["print"]
    assert (job["state"], job["reason"]) == ("pending", "agent_not_connected")

    rig.agent.start()  # it asks for print_pending as it connects
    assert rig.server.wait_job(rig.kiosk, job["id"])["state"] == "printed"
    printed_once(rig)
    assert "1 job(s) waiting on the server" in rig.agent.output()
