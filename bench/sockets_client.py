"""The load generator of ``bench_sockets.py``: many wall-display sockets in one asyncio process.

Not a benchmark itself (``bench/run.py`` runs only ``bench_*.py``). ``bench_sockets.py``
starts a few of these processes (``multiprocessing``) and drives them through a pipe.

Each socket speaks just enough of Engine.IO 4 / Socket.IO 5 over a websocket, as a
wall display does: open ``/socket.io/?EIO=4&transport=websocket``, read the open
packet, send ``40{"token": ...}``, then read the ``snapshot`` and the numbered events,
answering the server's pings (``2`` → ``3``). The websocket itself is a minimal
RFC 6455 client on an ``asyncio.Protocol``: frames are parsed as they arrive, without
a task, a queue or a future per message, and only ``called`` events are decoded as
JSON, on uvloop's event loop. On a two-core machine every microsecond the load
generator spends is taken from the servers it measures (``socketio.AsyncClient`` or
aiohttp's websocket cost several times more per message; uvloop takes about 30 %
less of the machine than asyncio's own loop, measured at 5 calls/s).

Every receipt is stamped with ``time.time_ns()`` when its bytes arrive, comparable
with the HTTP response stamps of the driving process (same host, same clock).

Commands (tuples on the pipe) and answers (dicts):

- ``("connect", start_ns, limit, timeout)``: connect every socket that is not
  connected, at most ``limit`` at a time (0: all at once), from wall time
  ``start_ns`` (0: now); answers the per-socket timings once every socket has its
  snapshot or ``timeout`` seconds have passed (a failed attempt is retried).
- ``("record",)``: forget earlier receipts and start recording ``called`` events.
- ``("collect",)``: the receipts, sequence jumps, event counts and CPU time since
  ``record``.
- ``("disconnect", timeout)``: close every socket.
- ``("stop",)``: leave.
"""

from __future__ import annotations

import array
import asyncio
import base64
import contextlib
import json
import os
import random
import signal
import time
from collections import Counter as Tally
from typing import Any
from urllib.parse import urlsplit

import uvloop

RETRIES = 6
RETRY_DELAY = (0.2, 1.0)
# As a Socket.IO client's connect timeout: an attempt that stalls is given up and retried.
ATTEMPT_SECONDS = 15.0
PATH = "/socket.io/?EIO=4&transport=websocket"


class Display:
    """One socket: its connection, timings and the sequence numbers it saw."""

    __slots__ = (
        "acked", "attempts", "closed_early", "conn", "error", "host", "index", "jumps",
        "opened", "port", "ready", "seq", "snapshot", "started",
    )  # fmt: skip

    def __init__(self, index: int, url: str) -> None:
        target = urlsplit(url)
        self.index = index
        self.host, self.port = target.hostname or "127.0.0.1", target.port or 80
        self.conn: WebSocket | None = None
        self.ready: asyncio.Future | None = None
        self.seq = -1
        self.jumps = 0
        self.started = self.opened = self.acked = self.snapshot = 0
        self.attempts = 0
        self.error: str | None = None
        self.closed_early = False


class WebSocket(asyncio.Protocol):
    """A client websocket that hands each complete text message to the swarm."""

    def __init__(self, swarm: Swarm, display: Display) -> None:
        self.swarm = swarm
        self.display = display
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.upgraded = False
        self.fragments: bytearray | None = None
        self.closed = False

    # --- asyncio.Protocol -------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's is no asyncio.Transport
        key = base64.b64encode(os.urandom(16)).decode()
        d = self.display
        transport.write(
            f"GET {PATH} HTTP/1.1\r\nHost: {d.host}:{d.port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n".encode()
        )

    def data_received(self, data: bytes) -> None:
        now = time.time_ns()
        buf = self.buffer
        buf += data
        if not self.upgraded:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                return
            if not buf.startswith(b"HTTP/1.1 101"):
                self._fail(ConnectionError(f"no upgrade: {bytes(buf[:60])!r}"))
                return
            del buf[: end + 4]
            self.upgraded = True
        while len(buf) >= 2:
            first, second = buf[0], buf[1]
            length = second & 0x7F
            at = 2
            if length == 126:
                if len(buf) < 4:
                    return
                length, at = int.from_bytes(buf[2:4], "big"), 4
            elif length == 127:
                if len(buf) < 10:
                    return
                length, at = int.from_bytes(buf[2:10], "big"), 10
            if second & 0x80:  # a server never masks; refuse rather than misread
                self._fail(ConnectionError("masked frame from the server"))
                return
            if len(buf) < at + length:
                return
            payload = bytes(buf[at : at + length])
            del buf[: at + length]
            self._frame(first & 0x0F, bool(first & 0x80), payload, now)
            if self.closed:
                return

    def connection_lost(self, exc: Exception | None) -> None:
        was_closed = self.closed
        self.closed = True
        self._fail(ConnectionError(f"connection lost: {exc}"))
        if not was_closed and self.display.conn is self:
            self.display.closed_early = True

    # --- frames -----------------------------------------------------------------------

    def _frame(self, opcode: int, fin: bool, payload: bytes, now: int) -> None:
        if opcode == 0x1 or opcode == 0x0:  # text, or the continuation of one
            if opcode == 0x1 and fin and self.fragments is None:
                self.swarm.message(self.display, payload.decode(), now)
                return
            if self.fragments is None:
                self.fragments = bytearray()
            self.fragments += payload
            if fin:
                text, self.fragments = self.fragments.decode(), None
                self.swarm.message(self.display, text, now)
        elif opcode == 0x9:  # ping
            self._send(0xA, payload)
        elif opcode == 0x8:  # close
            if not self.closed and self.display.conn is self:
                self.display.closed_early = True
            self.close()

    def _send(self, opcode: int, payload: bytes) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        length = len(payload)
        if length < 126:
            head = bytes((0x80 | opcode, 0x80 | length))
        elif length < 65536:
            head = bytes((0x80 | opcode, 0x80 | 126)) + length.to_bytes(2, "big")
        else:
            head = bytes((0x80 | opcode, 0x80 | 127)) + length.to_bytes(8, "big")
        mask = os.urandom(4)
        repeated = (mask * (length // 4 + 1))[:length]
        masked = (int.from_bytes(payload, "big") ^ int.from_bytes(repeated, "big")).to_bytes(
            length, "big"
        )
        self.transport.write(head + mask + masked)

    def send_text(self, text: str) -> None:
        self._send(0x1, text.encode())

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            with contextlib.suppress(Exception):
                self._send(0x8, (1000).to_bytes(2, "big"))
        if self.transport is not None:
            self.transport.close()

    def _fail(self, error: Exception) -> None:
        ready = self.display.ready
        if ready is not None and not ready.done():
            ready.set_exception(error)
        if self.transport is not None and not self.closed:
            self.closed = True
            self.transport.close()


class Swarm:
    def __init__(self, proc_index: int, urls: list[str], count: int, token: str) -> None:
        # Sockets alternate between the servers: each client process holds both kinds.
        self.displays = [Display(i, urls[(proc_index + i) % len(urls)]) for i in range(count)]
        self.recording = False
        self.called_ticket = array.array("q")
        self.called_socket = array.array("l")
        self.called_ns = array.array("q")
        self.types: Tally[str] = Tally()
        self.old = 0
        self.cpu0 = os.times()
        self.auth = "40" + json.dumps({"token": token})

    # --- messages ---------------------------------------------------------------------

    def message(self, d: Display, data: str, now: int) -> None:
        if data.startswith("42"):
            if data.startswith('42["snapshot"'):
                d.seq = json.loads(data[2:])[1]["seq"]
                d.snapshot = now
                self._maybe_ready(d)
            else:
                self._event(d, data, now)
        elif data == "2":
            if d.conn is not None:
                d.conn.send_text("3")
        elif data.startswith("40"):
            d.acked = now
            self._maybe_ready(d)
        elif data.startswith("44"):
            if d.ready is not None and not d.ready.done():
                d.ready.set_exception(ConnectionError(f"refused: {data[:120]}"))
        elif data.startswith("0") and not d.opened:
            d.opened = now
            if d.conn is not None:
                d.conn.send_text(self.auth)

    @staticmethod
    def _maybe_ready(d: Display) -> None:
        if d.acked and d.snapshot and d.ready is not None and not d.ready.done():
            d.ready.set_result(True)

    def _event(self, d: Display, data: str, now: int) -> None:
        # 42["<type>",{"seq":N,...}]: the payload's first key is seq (server/live/rooms.py).
        end = data.find('"', 4)
        kind = data[4:end]
        at = data.find('"seq":', end)
        if at >= 0:
            seq = int(data[at + 6 : data.find(",", at)])
            if seq <= d.seq:
                self.old += 1
            else:
                if d.seq >= 0 and seq != d.seq + 1:
                    d.jumps += 1
                d.seq = seq
        if not self.recording:
            return
        self.types[kind] += 1
        if kind == "called":
            self.called_ticket.append(json.loads(data[2:])[1]["ticket"]["id"])
            self.called_socket.append(d.index)
            self.called_ns.append(now)

    # --- one socket -------------------------------------------------------------------

    async def _connect_once(self, d: Display, timeout: float) -> None:
        loop = asyncio.get_running_loop()
        d.started = time.time_ns()
        d.opened = d.acked = d.snapshot = 0
        d.ready = loop.create_future()
        async with asyncio.timeout(timeout):
            _transport, conn = await loop.create_connection(
                lambda: WebSocket(self, d), d.host, d.port
            )
            d.conn = conn
            await d.ready

    async def _connect(
        self, d: Display, start_ns: int, sem: asyncio.Semaphore | None, timeout: float
    ) -> None:
        delay = (start_ns - time.time_ns()) / 1e9
        if delay > 0:
            await asyncio.sleep(delay)
        deadline = time.monotonic() + timeout
        for attempt in range(RETRIES):
            left = deadline - time.monotonic()
            if left <= 0:
                break
            d.attempts += 1
            try:
                if sem is not None:
                    async with sem:
                        await self._connect_once(d, min(left, ATTEMPT_SECONDS))
                else:
                    await self._connect_once(d, min(left, ATTEMPT_SECONDS))
                return  # d.error keeps why an earlier attempt failed
            except (OSError, ConnectionError, TimeoutError) as error:
                d.error = f"{type(error).__name__}: {str(error)[:80]}"
                if isinstance(error, TimeoutError):
                    d.error += f"after {_stage(d)}"
                if d.conn is not None:
                    conn, d.conn = d.conn, None
                    conn.close()
                d.snapshot = 0
                if attempt + 1 < RETRIES:
                    await asyncio.sleep(random.uniform(*RETRY_DELAY))

    # --- commands ---------------------------------------------------------------------

    async def connect(self, start_ns: int, limit: int, timeout: float) -> dict[str, Any]:
        sem = asyncio.Semaphore(limit) if limit > 0 else None
        todo = [d for d in self.displays if d.conn is None or d.conn.closed]
        for d in todo:
            d.attempts, d.error, d.closed_early, d.conn = 0, None, False, None
        cpu0 = os.times()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(
                asyncio.gather(*(self._connect(d, start_ns, sem, timeout) for d in todo)),
                timeout + 5,
            )
        cpu1 = os.times()
        done = [d for d in todo if d.snapshot and d.conn is not None and not d.conn.closed]
        return {
            "asked": len(todo),
            "connected": len(done),
            "failed": len(todo) - len(done),
            "errors": dict(Tally(d.error for d in todo if d.error)),
            "attempts": array.array("l", (d.attempts for d in todo)).tobytes(),
            "started": array.array("q", (d.started for d in done)).tobytes(),
            "opened": array.array("q", (d.opened for d in done)).tobytes(),
            "acked": array.array("q", (d.acked for d in done)).tobytes(),
            "snapshot": array.array("q", (d.snapshot for d in done)).tobytes(),
            "cpu_seconds": _cpu(cpu0, cpu1),
        }

    def record(self) -> dict[str, Any]:
        self.recording = True
        self.called_ticket = array.array("q")
        self.called_socket = array.array("l")
        self.called_ns = array.array("q")
        self.types = Tally()
        self.old = 0
        for d in self.displays:
            d.jumps = 0
            d.closed_early = False
        self.cpu0 = os.times()
        return {"sockets": self._open()}

    def collect(self) -> dict[str, Any]:
        self.recording = False
        return {
            "ticket": self.called_ticket.tobytes(),
            "socket": self.called_socket.tobytes(),
            "ns": self.called_ns.tobytes(),
            "types": dict(self.types),
            "jumps": sum(d.jumps for d in self.displays),
            "late": self.old,
            "closed_early": sum(1 for d in self.displays if d.closed_early),
            "open": self._open(),
            "cpu_seconds": _cpu(self.cpu0, os.times()),
        }

    async def disconnect(self, timeout: float) -> dict[str, Any]:
        started = time.monotonic()
        conns = [d.conn for d in self.displays if d.conn is not None]
        for d in self.displays:
            d.conn = None  # a close we asked for
        for conn in conns:
            conn.close()
        # Let the close frames go out (bounded).
        for _ in range(int(timeout / 0.05)):
            if all(c.transport is None or c.transport.is_closing() for c in conns):
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.2)
        return {"closed": len(conns), "seconds": round(time.monotonic() - started, 3)}

    def _open(self) -> int:
        return sum(1 for d in self.displays if d.conn is not None and not d.conn.closed)


def _stage(d: Display) -> str:
    """How far a stalled attempt got: what the server answered last."""
    if d.acked:
        return "the connect ack, without a snapshot"
    if d.opened:
        return "the open packet, without the connect ack"
    return "no open packet"


def _cpu(t0: os.times_result, t1: os.times_result) -> float:
    return round((t1.user - t0.user) + (t1.system - t0.system), 3)


async def _serve(conn: Any, swarm: Swarm) -> None:
    loop = asyncio.get_running_loop()
    try:
        for _ in range(10_000):
            # A thread waits on the pipe, which stays blocking for the large answers.
            command = await loop.run_in_executor(None, conn.recv)
            name = command[0]
            if name == "connect":
                answer = await swarm.connect(*command[1:])
            elif name == "record":
                answer = swarm.record()
            elif name == "collect":
                answer = swarm.collect()
            elif name == "disconnect":
                answer = await swarm.disconnect(*command[1:])
            elif name == "stop":
                conn.send({"stopped": True})
                return
            else:
                answer = {"error": f"unknown command {name}"}
            conn.send(answer)
    finally:
        await swarm.disconnect(2)


def main(conn: Any, proc_index: int, urls: list[str], token: str, count: int) -> None:
    """Entry point of a client process."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the parent's clean-up handler
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    try:
        uvloop.run(_serve(conn, Swarm(proc_index, urls, count, token)))
    finally:
        conn.close()
