"""The bridge's parts without the server: the counter's view and the event order, what each
display protocol writes, the keypad's lines and double-press guard, and the one retry.
"""

from __future__ import annotations

import http.server
import json
import logging
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest

from counter.bridge.api import CounterApi
from counter.bridge.bridge import Bridge
from counter.bridge.config import load
from counter.bridge.display import LineDisplay, Shown
from counter.bridge.keypad import KeypadWorker, LineKeypad
from counter.bridge.live import GAP_WAIT, LiveConnection
from counter.bridge.modbus import ModbusDisplay, _runs
from counter.bridge.settings import SerialSettings
from counter.bridge.view import CounterView
from harness.counter import Keypad, Wire
from harness.processes import free_port, wait_until

SERIAL = SerialSettings("/dev/ttyUSB9")


def ticket(ticket_id: int, number: str, counter: int | None = 1, status: str = "called") -> dict:
    """A ticket as events carry it."""
    return {"id": ticket_id, "number": number, "status": status, "counter": counter}


def board(seq: int, current: dict | None = None, state: str = "open") -> dict:
    mine = {"id": 1, "number": 3, "state": state, "ticket": current}
    return {"office": "amol", "seq": seq, "counters": [mine, {"id": 2, "number": 4}]}


def event(seq: int, kind: str, data: dict | None = None, counter: dict | None = None) -> dict:
    return {"seq": seq, "type": kind, "ticket": data, "counter": counter}


@pytest.fixture
def seen() -> list[Shown]:
    return []


@pytest.fixture
def view(seen: list[Shown]) -> CounterView:
    return CounterView(1, seen.append)


def test_the_view_follows_its_own_counter_only(view, seen):
    view.take_board(board(1))
    view.apply(event(2, "called", ticket(7, "B-007")))
    view.apply(event(3, "called", ticket(8, "C-001", counter=2)))  # another counter's call
    view.apply(event(4, "done", ticket(6, "B-006")))  # a ticket this counter no longer shows
    view.apply(event(5, "counter", counter={"id": 1, "number": 3, "state": "paused"}))
    assert seen == [Shown(3), Shown(3, "B-007")]
    view.apply(event(6, "parked", ticket(7, "B-007", status="parked")))
    view.apply(event(7, "resumed", ticket(7, "B-007")))
    view.apply(event(8, "counter", counter={"id": 1, "number": 3, "state": "closed"}))
    assert seen[2:] == [Shown(3), Shown(3, "B-007"), Shown(3)]


def test_the_apis_answers_show_before_their_events(view, seen):
    view.take_board(board(1, ticket(7, "B-007")))
    view.adopt({**ticket(8, "B-008"), "counter": {"id": 1, "number": 3, "name": "باجه ۳"}})
    view.adopt({**ticket(8, "B-008", status="done"), "counter": None})
    assert seen == [Shown(3, "B-007"), Shown(3, "B-008"), Shown(3)]
    view.apply(event(2, "done", ticket(7, "B-007", status="done")))  # late, already left
    assert seen[-1] == Shown(3) and view.current() is None


def test_events_apply_in_sequence_and_a_gap_asks_for_a_fresh_board(view, seen, caplog):
    live = LiveConnection("http://127.0.0.1:9", "t", "amol", view)
    live.take_board(board(10))
    live.receive(event(12, "started", ticket(7, "B-007", status="serving")))
    live.receive(event(11, "called", ticket(7, "B-007")))
    live.receive(event(11, "done", ticket(7, "B-007")))  # a duplicate: ignored
    assert (live.seq, seen) == (12, [Shown(3), Shown(3, "B-007")])
    with caplog.at_level(logging.INFO, "nobat.bridge"):
        live.receive(event(14, "done", ticket(7, "B-007")))  # 13 never comes
        assert seen[-1] == Shown(3, "B-007")
        wait_until(
            lambda: "events after 12 did not come" in caplog.text, "the gap", timeout=10 * GAP_WAIT
        )
    live.take_board(board(9))  # older than what was applied: ignored
    assert live.seq == 12
    live.take_board(board(14))
    assert (live.seq, live.buffer, seen[-1]) == (14, {}, Shown(3))


def test_a_modbus_display_gets_sequence_letter_counter_and_digits():
    display = ModbusDisplay(
        "m", SERIAL, 10, unit=1, blank=0xFFFF, write="multiple", timeout=0.5,
        registers={"sequence": 0, "letter": 1, "counter": 2, "digits": [5, 6, 7]},
    )  # fmt: skip
    assert display.values(Shown(3, "B-007")) == {0: 7, 1: 66, 2: 3, 5: 0, 6: 0, 7: 7}
    assert [display.values(Shown(3, "B-1234"))[a] for a in (0, 5, 6, 7)] == [1234, 2, 3, 4]
    blank = display.values(Shown(3))
    assert blank == {0: 0xFFFF, 1: 0xFFFF, 2: 3, 5: 0xFFFF, 6: 0xFFFF, 7: 0xFFFF}
    assert _runs(blank, single=False) == [(0, [0xFFFF, 0xFFFF, 3]), (5, [0xFFFF] * 3)]
    assert _runs({4: 1, 5: 2}, single=True) == [(4, [1]), (5, [2])]


def test_a_line_display_fills_in_its_template():
    display = LineDisplay(
        "l", SERIAL, 10, template="{counter}:{letter}{sequence:04d}|{digits}|{number}\r\n",
        blank="{counter}:----\r\n", encoding="ascii",
    )  # fmt: skip
    assert display.render(Shown(3, "B-007")) == b"3:B0007|007|B-007\r\n"
    assert display.render(Shown(3)) == b"3:----\r\n"


def test_a_keypad_line_ends_with_cr_lf_or_both_and_noise_is_dropped():
    keypad = LineKeypad("k", SERIAL, keys={"N": "next"}, feedback={}, repeat_guard=0)
    worker = KeypadWorker(keypad, lambda *_: None, threading.Event())
    assert worker._lines(b"N\r\nR\rS\nC") == ["N", "R", "S"]
    assert worker._lines(b"\r\n\r\n") == ["C"]
    assert worker._lines(b"x" * 100) == [] and worker.pending == b""


class Scripted(http.server.BaseHTTPRequestHandler):
    """A server that answers as ``script`` says, one entry per request: "drop" or a status."""

    script: ClassVar[list[Any]] = []
    seen: ClassVar[list[tuple[str, str, str | None, Any]]] = []  # method, path, key, body
    TICKET: ClassVar[dict[str, Any]] = {
        "id": 7, "number": "B-007", "service": "national-id", "status": "called",
        "counter": {"id": 1, "number": 1},
    }  # fmt: skip

    def do_GET(self) -> None:
        self._answer({"counter": {"id": 1, "number": 1}, "current": self.TICKET})

    def do_POST(self) -> None:
        self._answer(self.TICKET)

    def _answer(self, body: dict[str, Any]) -> None:
        sent = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        key = self.headers.get("Idempotency-Key")
        self.seen.append((self.command, self.path, key, json.loads(sent) if sent else None))
        step = self.script.pop(0)
        if step == "drop":  # the connection dies before an answer
            self.close_connection = True
            return
        data = json.dumps(body).encode()
        self.send_response(step)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *_args: Any) -> None:
        pass


@pytest.fixture
def scripted() -> Iterator[tuple[str, type[Scripted]]]:
    """The scripted server's URL and its handler class (its script and what it saw)."""
    handler = type("Handler", (Scripted,), {"script": [], "seen": []})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", handler
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture
def api(scripted: tuple[str, type[Scripted]]) -> Iterator[CounterApi]:
    result = CounterApi(scripted[0], "t", 1, timeout=2)
    yield result
    result.close()


@pytest.fixture
def keypad_bridge(tmp_path: Path) -> Iterator[Callable[[str], tuple[Bridge, KeypadWorker, Keypad]]]:
    """A bridge (never run: no socket) for a server URL, with a keypad on a pty."""
    made: list[tuple[Bridge, KeypadWorker, Keypad, Wire]] = []

    def make(url: str) -> tuple[Bridge, KeypadWorker, Keypad]:
        wire = Wire(tmp_path / "keypad")
        config = tmp_path / "bridge.toml"
        config.write_text(
            f'[server]\nurl = "{url}"\ntoken = "t"\noffice = "amol"\ncounter = 1\n[[devices]]\n'
            f'role = "keypad"\nprotocol = "line"\nport = "{wire.link}"\nrepeat_guard = 10\n'
        )
        bridge = Bridge(load(config, environ={}))
        worker, listener = bridge.keypads[0], Keypad(wire)
        worker.connect()
        made.append((bridge, worker, listener, wire))
        return bridge, worker, listener

    yield make
    for bridge, worker, listener, wire in made:
        wait_until(lambda b=bridge: not b.answering.locked(), "the last press to be over")
        listener.close()
        worker.disconnect()
        bridge.api.close()
        wire.unplug()


def test_the_same_key_again_soon_is_refused_as_busy_and_other_keys_are_not(keypad_bridge):
    bridge, worker, keypad = keypad_bridge(f"http://127.0.0.1:{free_port()}")  # nobody there
    bridge.press(worker, "N")
    keypad.feedback(b"ERROR\r\n")  # the server is unreachable
    wait_until(lambda: not bridge.answering.locked(), "the press to be over")
    bridge.press(worker, "N")
    keypad.feedback(b"BUSY\r\n")  # within repeat_guard
    bridge.press(worker, "C")
    keypad.feedback(b"ERROR\r\n")  # could not ask the server for the ticket to complete


def test_without_the_live_board_a_ticket_key_asks_the_server_which_ticket(keypad_bridge, scripted):
    url, handler = scripted
    bridge, worker, keypad = keypad_bridge(url)
    handler.script[:] = [200, 200, 200]
    bridge.press(worker, "C")
    keypad.feedback(b"OK\r\n")
    wait_until(lambda: not bridge.answering.locked(), "the press to be over")
    bridge.press(worker, "N")
    keypad.feedback(b"OK\r\n")
    (get, path, key, _), complete, call = handler.seen
    assert (get, path, key) == ("GET", "/api/v1/counters/1", None)
    assert complete[:2] == ("POST", "/api/v1/tickets/7/complete")
    assert call[1::2] == ("/api/v1/counters/1/next", {})  # no live board: no current to name
    assert bridge.view.current() == 7  # adopted from the answer


def test_with_the_live_board_next_names_the_ticket_it_finishes(api, scripted):
    _url, handler = scripted
    handler.script[:] = [200]
    api.send("next", 6, sure=True)
    assert handler.seen[0][3] == {"current": 6}


def test_a_press_without_an_answer_is_sent_once_more_with_the_same_key(api, scripted):
    _url, handler = scripted
    handler.script[:] = ["drop", 200]
    answer = api.send("next")
    assert (answer.status, answer.ticket["number"]) == (200, "B-007")
    (_, path, key, _), again = handler.seen
    assert path == "/api/v1/counters/1/next" and again[1:3] == (path, key) and 8 <= len(key) <= 64


def test_a_press_is_sent_twice_at_most(api, scripted):
    _url, handler = scripted
    handler.script[:] = [503, 503, 200]
    answer = api.send("complete", 7)
    assert (answer.status, len(handler.seen)) == (503, 2)
    assert handler.seen[0][1] == "/api/v1/tickets/7/complete"
    handler.script[:], handler.seen[:] = [409, 200], []
    assert api.send("next").status == 409 and len(handler.seen) == 1  # a refusal is final
    assert api.send("next").status == 200
    assert handler.seen[0][2] != handler.seen[1][2]  # every press has a key of its own
