"""Fixtures of the counter bridge tests: the demo office served for real, counter 1's keypad
and two LED displays (Modbus and line) on pseudo-terminals, and the bridge process.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from harness.counter import BridgeProcess, Keypad, LineDisplay, ModbusDisplay, counter_pc
from harness.demo import Server, seeded_demo
from harness.processes import call

COUNTER = 1  # serves national-id (letter B) and birth-certificate
BLANK = 65535  # what the Modbus display's number registers hold with no ticket
REGISTERS = 6  # sequence, letter, counter, three digits: the rig's CONFIG


@dataclass
class Office:
    """The demo office, served, with a clerk's token (the bridge's), a kiosk's and counter 1's."""

    server: Server
    clerk: str
    kiosk: str
    device: str

    def issue(self, service: str = "national-id") -> dict[str, Any]:
        return self.server.issue(self.kiosk, service)

    def next(self) -> dict[str, Any] | None:
        """*Call next* as the clerk's web page does."""
        status, body = call("POST", f"{self.server.url}/api/v1/counters/{COUNTER}/next", self.clerk)
        assert status in (200, 204), body
        return body

    def act(self, ticket: dict[str, Any], action: str) -> dict[str, Any]:
        status, body = call(
            "POST", f"{self.server.url}/api/v1/tickets/{ticket['id']}/{action}", self.clerk
        )
        assert status == 200, body
        return body

    def board(self) -> dict[str, Any]:
        status, board = call("GET", f"{self.server.url}/api/v1/offices/amol/queue", self.clerk)
        assert status == 200, board
        return board

    def current(self) -> dict[str, Any] | None:
        """Counter 1's ticket on the office's board, if any."""
        (mine,) = [c for c in self.board()["counters"] if c["id"] == COUNTER]
        return mine["ticket"]

    def waiting(self, service: str = "national-id") -> int:
        (queue,) = [s for s in self.board()["services"] if s["code"] == service]
        return queue["waiting"]


@dataclass
class Rig:
    office: Office
    keypad: Keypad
    modbus: ModbusDisplay
    line: LineDisplay
    bridge: BridgeProcess

    def showing(self, ticket: dict[str, Any] | None) -> None:
        """Both displays show ``ticket``'s number (or blank for None)."""
        if ticket is None:
            self.modbus.showing(0, [BLANK, BLANK, COUNTER, BLANK, BLANK, BLANK])
            self.line.showing(f"C{COUNTER} -")
            return
        letter, digits = ticket["number"].split("-")
        self.modbus.showing(0, [int(digits), ord(letter), COUNTER, *map(int, digits)])
        self.line.showing(f"C{COUNTER} {ticket['number']}")


@pytest.fixture(scope="module")
def bridge_rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    """One served office, one set of devices and one bridge per module."""
    folder = tmp_path_factory.mktemp("bridge")
    demo = seeded_demo(folder)
    server = Server(demo.url, {**demo.env, "NOBAT_LOG_LEVEL": "warning"}, log=folder / "server.log")
    with counter_pc(folder, REGISTERS) as pc:
        tokens = [
            demo.token(*args)
            for args in (
                ("--user", "clerk1"),
                ("--device", "kiosk", "--office", "amol", "--printer", "none"),
                ("--device", "counter", "--office", "amol", "--counter", str(COUNTER)),
            )
        ]
        server.start()
        try:
            office = Office(server, *tokens)
            pc.bridge.configure(server.url, office.clerk, COUNTER, BLANK)
            pc.bridge.start()
            yield Rig(office, pc.keypad, pc.modbus, pc.line, pc.bridge)
        finally:
            pc.bridge.stop()
            server.stop()


@pytest.fixture
def bridged(bridge_rig: Rig) -> Rig:
    """The rig as each test starts: server and bridge up, nobody waiting or at counter 1."""
    if bridge_rig.office.server.process is None:
        bridge_rig.office.server.start()
    if not bridge_rig.bridge.alive():
        bridge_rig.bridge.start()
    while bridge_rig.office.next() is not None:  # each call finishes the ticket before
        pass
    bridge_rig.showing(None)
    bridge_rig.keypad.take()
    return bridge_rig
