"""The counter bridge for real: ``nobat serve``, ``python -m counter.bridge.cli``, a keypad and
two LED displays on pseudo-terminals, the Modbus one being pymodbus's own server.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from harness.demo import Server
from server.database import make_engine
from server.engine import Actor, call_next
from server.engine.sessions import make_sessionmaker
from server.models import User
from tests.counter.conftest import BLANK, COUNTER, Rig

pytestmark = pytest.mark.slow

LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (INFO|WARNING|ERROR) \S")


def test_a_key_press_calls_next_and_both_displays_show_the_number(bridged: Rig):
    ticket = bridged.office.issue()
    bridged.keypad.press("N")
    bridged.keypad.feedback(b"OK\r\n")
    bridged.showing(ticket)
    assert bridged.office.current()["id"] == ticket["id"]
    assert "key 'N' → next → ok (B-" in bridged.bridge.output()


def test_a_call_made_on_the_clerks_page_reaches_the_displays(bridged: Rig):
    bridged.office.issue()
    called = bridged.office.next()
    bridged.showing(called)
    bridged.office.act(called, "no-show")
    bridged.showing(None)


def test_the_ticket_keys_act_on_the_ticket_at_the_counter(bridged: Rig):
    ticket = bridged.office.issue()
    for code in "NRSP":  # next, recall, start, pause (the citizen stays)
        bridged.keypad.press(code)
        bridged.keypad.feedback(b"OK\r\n")
    assert bridged.office.current()["status"] == "serving"
    assert "key 'P' → pause → ok (counter 1 is paused)" in bridged.bridge.output()
    bridged.showing(ticket)
    bridged.keypad.press("C")  # complete
    bridged.keypad.feedback(b"OK\r\n")
    bridged.showing(None)
    assert bridged.office.current() is None


def test_nobody_waiting_no_ticket_and_an_unknown_key_each_have_their_own_feedback(bridged: Rig):
    bridged.keypad.press("N")
    bridged.keypad.feedback(b"EMPTY\r\n")
    bridged.keypad.press("C")  # nothing to complete
    bridged.keypad.feedback(b"ERROR\r\n")
    bridged.keypad.press("?")
    bridged.keypad.feedback(b"ERROR\r\n")
    assert "key '?' is not in the key map" in bridged.bridge.output()


def test_a_double_press_calls_one_citizen_and_the_second_press_is_refused_as_busy(bridged: Rig):
    first, _second = bridged.office.issue(), bridged.office.issue()
    bridged.keypad.wire.write(b"N\rN\r")
    bridged.keypad.wait(b"OK\r\n")
    bridged.keypad.wait(b"BUSY\r\n")
    bridged.showing(first)
    assert bridged.office.waiting() == 1


def test_unplugged_adapters_recover_when_plugged_back_keypad_and_displays(bridged: Rig):
    wires = (bridged.keypad.wire, bridged.modbus.wire, bridged.line.wire)
    lost = bridged.bridge.count(": lost ")
    for wire in wires:
        wire.unplug()
    bridged.bridge.wait_for(": lost ", lost + 3)
    called = (bridged.office.issue(), bridged.office.next())[1]  # on the clerk's page meanwhile
    opened = bridged.bridge.count(": opened ")
    for wire in wires:
        wire.plug()
    bridged.bridge.wait_for(": opened ", opened + 3)
    bridged.showing(called)  # written again as soon as the displays are back

    ticket = bridged.office.issue()
    bridged.keypad.press("N")
    bridged.keypad.feedback(b"OK\r\n")
    bridged.showing(ticket)


def test_while_the_server_is_away_a_press_is_refused_and_on_return_the_displays_catch_up(
    bridged: Rig,
):
    server = bridged.office.server
    first, second = bridged.office.issue(), bridged.office.issue()
    server.kill()
    bridged.keypad.press("N")
    bridged.keypad.feedback(b"ERROR\r\n")  # at once, not when the server is back
    assert (
        "next → error (the server is unreachable (Connection refused))" in bridged.bridge.output()
    )
    called_elsewhere(server, first)  # by another server process of the office, say
    bridged.showing(None)  # the bridge cannot know yet

    connections = bridged.bridge.count("INFO connected to ")
    server.start()
    bridged.bridge.wait_for("INFO connected to ", connections + 1, timeout=30)
    bridged.showing(first)  # from the board the server sends on connect
    assert bridged.office.current()["id"] == first["id"] and bridged.office.waiting() == 1
    # Had the refused press been kept and sent later, it would have called the second
    # ticket, and this press would find nobody waiting.
    bridged.keypad.press("N")
    bridged.keypad.feedback(b"OK\r\n")
    bridged.showing(second)


def called_elsewhere(server: Server, ticket: dict[str, Any]) -> None:
    """*Call next* at the counter straight on the database, while the server is down."""
    engine = make_engine(server.env["NOBAT_DATABASE_URL"])
    try:
        with make_sessionmaker(engine)() as session:
            clerk = session.scalar(select(User.id).where(User.username == "clerk1"))
            assert call_next(session, COUNTER, actor=Actor(user_id=clerk)).id == ticket["id"]
            session.commit()
    finally:
        engine.dispose()


def test_the_counters_own_device_token_serves_as_well_as_a_clerks(bridged: Rig):
    server = bridged.office.server
    bridged.bridge.stop()
    try:
        bridged.bridge.configure(server.url, bridged.office.device, COUNTER, BLANK)
        bridged.bridge.start()  # the socket takes the token too
        ticket = bridged.office.issue()
        bridged.keypad.press("N")  # for clerk1, who holds the counter
        bridged.keypad.feedback(b"OK\r\n")
        bridged.showing(ticket)
    finally:
        bridged.bridge.stop()
        bridged.bridge.configure(server.url, bridged.office.clerk, COUNTER, BLANK)


def test_the_bridge_stops_cleanly_and_logs_plain_lines(bridged: Rig):
    assert bridged.bridge.stop() == 0
    lines = bridged.bridge.output().splitlines()
    assert lines[-1].endswith("INFO stopped")
    for line in lines:
        assert LOG_LINE.match(line), line  # no tracebacks, no library noise
