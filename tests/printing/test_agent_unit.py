"""The print agent without a server: each job's outcome on a fake network printer, jobs taken
once, results kept until the server acknowledges them, and the command line.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import socketio

from kiosk.agent import Agent, main
from kiosk.agent_jobs import expired
from printer_drivers import PrinterStatus, TicketPrint, open_printer
from tests.printer_drivers.conftest import PERSIAN_TICKET, ticket_data


def job(job_id: int = 1, expires_in: float = 60, **ticket: Any) -> dict[str, Any]:
    """A ``print`` event as the server sends it."""
    data = ticket_data(**{"footer": "", **ticket})
    deadline = datetime.now(UTC) + timedelta(seconds=expires_in)
    return {"job": job_id, "ticket": data, "expires_at": deadline.isoformat()}


@pytest.fixture
def agent(tcp_printer) -> Agent:
    """An agent printing on the fake TCP printer, never connected."""
    return Agent("http://127.0.0.1:9", "nbt_test", open_printer(tcp_printer.url))


def test_the_servers_print_data_becomes_the_renderers_ticket():
    ticket = TicketPrint.from_data(job()["ticket"])
    assert ticket == dataclasses.replace(PERSIAN_TICKET, footer="")


def test_a_job_is_expired_after_its_deadline_by_this_clock():
    assert not expired(job(expires_in=5))
    assert expired(job(expires_in=-1))
    naive = {"expires_at": "2020-01-01T00:00:00"}  # read as UTC
    assert expired(naive)
    assert not expired(naive, now=datetime(2019, 12, 31, 23, 59, tzinfo=UTC))


def test_a_job_prints_as_a_raster_and_a_cut(agent, tcp_printer):
    assert agent.process(job()) == {"job": 1, "state": "printed", "reason": None, "message": None}
    tcp_printer.printer.wait_for(lambda p: p.cuts == 1)
    assert {r.width_bytes for r in tcp_printer.printer.rasters} == {72}


def test_an_expired_job_is_stale_and_never_reaches_the_printer(agent, tcp_printer):
    outcome = agent.process(job(expires_in=-1))
    assert (outcome["state"], outcome["reason"]) == ("stale", "stale")
    assert tcp_printer.connections == 0 and tcp_printer.printer.received == bytearray()


def test_paper_out_fails_the_job_and_the_next_one_prints_after_a_new_roll(agent, tcp_printer):
    tcp_printer.printer.paper = PrinterStatus.PAPER_OUT
    outcome = agent.process(job(1))
    assert (outcome["state"], outcome["reason"]) == ("failed", "paper_out")
    assert "paper" in outcome["message"]
    tcp_printer.printer.paper = PrinterStatus.PAPER_OK
    assert agent.process(job(2))["state"] == "printed"
    tcp_printer.printer.wait_for(lambda p: p.cuts == 1)


def test_an_unreachable_printer_fails_the_job_as_offline(closed_port):
    agent = Agent("http://127.0.0.1:9", "t", open_printer(f"tcp://127.0.0.1:{closed_port}"))
    outcome = agent.process(job())
    assert (outcome["state"], outcome["reason"]) == ("failed", "offline")


def test_a_ticket_that_cannot_be_rendered_fails_with_a_reason(agent, tcp_printer):
    outcome = agent.process(job(number=" ", people_ahead=-1))
    assert (outcome["state"], outcome["reason"]) == ("failed", "render_error")
    assert agent.process(job(issued_at="yesterday"))["reason"] == "render_error"
    assert tcp_printer.printer.received == bytearray()


def test_each_job_is_taken_once_and_malformed_ones_are_ignored(agent):
    agent.accept(job(7))
    agent.accept(job(7))  # the print event and print_pending both name it
    agent.accept({"ticket": {}})
    agent.accept("nonsense")
    assert agent.jobs.qsize() == 1 and agent.seen == {7}


class FlakyServer:
    """Stands in for the Socket.IO client: the connection is down until ``connected`` is set."""

    def __init__(self, pending: list[dict[str, Any]]) -> None:
        self.connected, self.pending, self.calls = False, pending, []

    def emit(self, event: str, data: Any = None, callback: Any = None) -> None:
        if not self.connected:
            raise socketio.exceptions.BadNamespaceError("/ is not a connected namespace.")
        self.calls.append((event, data))
        callback({"jobs": self.pending} if event == "print_pending" else {"ok": True})


class SilentServer(FlakyServer):
    """Connected, but the connection drops before the server answers."""

    def emit(self, event: str, data: Any = None, callback: Any = None) -> None:
        self.calls.append((event, data))
        self.connected = False


def test_a_result_lost_with_the_connection_is_sent_after_reconnecting(agent):
    server = FlakyServer(pending=[job(1), job(2)])
    agent.sio = server
    agent.accept(job(1))
    agent._report(agent.process(agent.jobs.get_nowait()))
    assert list(agent.unreported) == [1]  # the server was gone

    server.connected = True
    agent._sync()  # what the agent does on every (re)connection
    assert [event for event, _ in server.calls] == ["print_result", "print_pending"]
    assert server.calls[0][1]["state"] == "printed"
    assert agent.unreported == {}
    assert [agent.jobs.get_nowait()["job"]] == [2] and agent.jobs.empty()  # job 1 not again


def test_a_call_gives_up_as_soon_as_the_connection_drops(agent):
    agent.sio = SilentServer(pending=[])
    agent.sio.connected = True
    start = time.monotonic()
    assert agent._call("print_pending") is None
    assert time.monotonic() - start < 1  # not the 10 s ack timeout


def test_help_explains_the_options(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    for option in ("--server", "--token", "--printer", "NOBAT_AGENT_TOKEN", "--printer agent"):
        assert option in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--server", "http://127.0.0.1:9", "--printer", "dummy://"], "--token is required"),
        (["--token", "t", "--printer", "dummy://"], "--server is required"),
        (["--server", "127.0.0.1:5000", "--token", "t", "--printer", "dummy://"], "http://"),
        (["--server", "http://x", "--token", "t", "--printer", "lpt://1"], "unknown printer"),
        (["--server", "http://x", "--token", "t", "--printer", "tcp://"], "tcp://host:port"),
        (["--server", "http://x", "--token", "t"], "--printer is required"),
    ],
    ids=["no token", "no server", "server not a URL", "bad scheme", "bad tcp", "no printer"],
)
def test_bad_arguments_exit_2_with_a_message(capsys, monkeypatch, args, message):
    for variable in ("NOBAT_SERVER", "NOBAT_AGENT_TOKEN", "NOBAT_PRINTER"):
        monkeypatch.delenv(variable, raising=False)
    with pytest.raises(SystemExit) as exit_:
        main(args)
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_the_console_script_refuses_a_bad_printer_without_a_traceback():
    script = Path(sys.executable).parent / "nobat-print-agent"
    result = subprocess.run(
        [script, "--server", "http://127.0.0.1:9", "--token", "t", "--printer", "usb://zz"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "--printer" in result.stderr and "Traceback" not in result.stderr


def test_the_print_agent_runs_without_the_server_or_flask():
    code = (
        "import sys, kiosk.agent; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('flask', 'server')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
