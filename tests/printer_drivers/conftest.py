"""Fixtures for the printer package: fixed tickets and fake ESC/POS printers.

The fakes parse what a real printer would (ESC @, GS v 0, ESC d, GS V, DLE EOT n) and
answer real-time status queries, on a pseudo-terminal or a loopback TCP socket.
"""

from __future__ import annotations

import dataclasses
import os
import select
import socket
import threading
import time
import tty
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from PIL import Image, ImageOps

from printer_drivers import PrinterStatus, TicketPrint
from printer_drivers.status import paper_reply, printer_reply

FIXED_MOMENT = datetime(2024, 11, 28, 10, 45, tzinfo=ZoneInfo("Asia/Tehran"))  # 8 Azar 1403

PERSIAN_TICKET = TicketPrint(
    office_name="دفتر پیشخوان خدمات دولت آمل",
    service_name="ثبت احوال — صدور کارت ملی هوشمند",
    number="B-007",
    people_ahead=3,
    people="۳ نفر",
    wait="۱۰ تا ۱۵ دقیقه",
    issued_at=FIXED_MOMENT,
    status_url="https://nobat.example.ir/t/Xk3fP9qLm2Zt",
    footer="از شکیبایی شما سپاسگزاریم",
    language="fa",
)


def ticket_data(**changes: Any) -> dict[str, Any]:
    """PERSIAN_TICKET as the server sends it to print agents (and to its render process)."""
    return {
        "office_name": PERSIAN_TICKET.office_name,
        "service_name": PERSIAN_TICKET.service_name,
        "number": PERSIAN_TICKET.number,
        "people_ahead": PERSIAN_TICKET.people_ahead,
        "people": PERSIAN_TICKET.people,
        "wait": PERSIAN_TICKET.wait,
        "issued_at": PERSIAN_TICKET.issued_at.isoformat(),
        "status_url": PERSIAN_TICKET.status_url,
        "footer": PERSIAN_TICKET.footer,
        "language": "fa",
        **changes,
    }


ENGLISH_TICKET = dataclasses.replace(
    PERSIAN_TICKET,
    office_name="Pishkhan Government Services Office, Amol",
    service_name="Civil registration: smart national ID card",
    footer="Thank you for your patience",
    language="en",
    people="3 people",
    wait="10 to 15 minutes",
)
LONG_SERVICE = (
    "بیمه سلامت همگانی — تمدید دفترچه، صدور کارت المثنی و تغییر مشخصات بیمه‌شدگان تبعی و اصلی"
)


@pytest.fixture
def persian_ticket() -> TicketPrint:
    """The reference Persian ticket at a fixed moment."""
    return PERSIAN_TICKET


@pytest.fixture
def english_ticket() -> TicketPrint:
    """The same ticket in English."""
    return ENGLISH_TICKET


@pytest.fixture
def long_service_ticket() -> TicketPrint:
    """A service name far wider than any paper, with no estimate yet."""
    return dataclasses.replace(
        PERSIAN_TICKET,
        service_name=LONG_SERVICE,
        number="T-123",
        wait="فعلاً باجه‌ای این خدمت را ارائه نمی‌دهد",
    )


@dataclass
class Raster:
    """One GS v 0 block as the printer received it."""

    width_bytes: int
    height: int
    data: bytes

    def image(self) -> Image.Image:
        """The block as a PIL image (black ink is 1 in ESC/POS, 0 in PIL)."""
        bits = Image.frombytes("1", (self.width_bytes * 8, self.height), self.data)
        return ImageOps.invert(bits.convert("L")).convert("1")


@dataclass
class FakeEscposPrinter:
    """Parses an ESC/POS stream and answers DLE EOT like a printer with this state."""

    online: bool = True
    paper: PrinterStatus = PrinterStatus.PAPER_OK
    silent: bool = False
    received: bytearray = field(default_factory=bytearray)
    rasters: list[Raster] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)
    stray: bytearray = field(default_factory=bytearray)
    control: bytearray = field(default_factory=bytearray)  # every byte but raster data
    inits: int = 0
    feeds: int = 0
    cuts: int = 0
    _pending: bytearray = field(default_factory=bytearray)

    def feed(self, data: bytes) -> bytes:
        """Consume bytes; return what the printer sends back."""
        self.received += data
        self._pending += data
        replies = bytearray()
        while self._pending:
            used, reply = self._parse_one(self._pending)
            if not used:
                break  # an incomplete command: wait for more bytes
            command_size = 8 if self._pending[:3] == b"\x1dv0" else used  # not raster data
            self.control += self._pending[:command_size]
            del self._pending[:used]
            replies += reply
        return bytes(replies)

    def _parse_one(self, p: bytearray) -> tuple[int, bytes]:
        if p[:2] == b"\x10\x04":
            if len(p) < 3:
                return 0, b""
            self.queries.append(p[2])
            return 3, self._reply(p[2])
        if p[:3] == b"\x1dv0":
            if len(p) < 8:
                return 0, b""
            width, height = p[4] | p[5] << 8, p[6] | p[7] << 8
            end = 8 + width * height
            if len(p) < end:
                return 0, b""
            self.rasters.append(Raster(width, height, bytes(p[8:end])))
            return end, b""
        if p[:2] == b"\x1b@":
            self.inits += 1
            return 2, b""
        if p[:2] in (b"\x1bd", b"\x1dV"):
            size = 4 if p[:2] == b"\x1dV" and len(p) > 2 and p[2] in (65, 66) else 3
            if len(p) < size:
                return 0, b""
            if p[:2] == b"\x1bd":
                self.feeds += p[2]
            else:
                self.cuts += 1
            return size, b""
        self.stray.append(p[0])  # anything else would be printed as text
        return 1, b""

    def _reply(self, n: int) -> bytes:
        if self.silent:
            return b""
        if n == 1:
            return bytes(
                [printer_reply(online=self.online and self.paper is not PrinterStatus.PAPER_OUT)]
            )
        if n == 4:
            return bytes([paper_reply(self.paper)])
        return b""

    def picture(self) -> Image.Image:
        """All raster blocks stacked, as the paper would show them."""
        width = max(r.width_bytes for r in self.rasters) * 8
        sheet = Image.new("1", (width, sum(r.height for r in self.rasters)), 1)
        top = 0
        for raster in self.rasters:
            sheet.paste(raster.image(), (0, top))
            top += raster.height
        return sheet

    def wait_for(self, predicate: Callable[[FakeEscposPrinter], bool], timeout: float = 3) -> None:
        """Wait until the serving thread has seen enough bytes."""
        deadline = time.monotonic() + timeout
        while not predicate(self):
            if time.monotonic() > deadline:
                raise AssertionError(f"fake printer state not reached; got {len(self.received)} B")
            time.sleep(0.005)


@pytest.fixture
def escpos_parser() -> FakeEscposPrinter:
    """A printer model to parse captured bytes with (no transport)."""
    return FakeEscposPrinter()


@dataclass
class SerialLine:
    """The slave end a driver opens, and the printer on the master end."""

    path: str
    printer: FakeEscposPrinter


@pytest.fixture
def pty_printer() -> Iterator[SerialLine]:
    """A fake printer behind a pseudo-terminal, served by a thread."""
    master, slave = os.openpty()
    tty.setraw(slave)  # no echo, no newline translation, as on a real serial line
    printer, stop = FakeEscposPrinter(), threading.Event()

    def serve() -> None:
        while not stop.is_set():
            if not select.select([master], [], [], 0.02)[0]:
                continue
            try:
                data = os.read(master, 65536)
            except OSError:
                continue
            reply = printer.feed(data)
            if reply:
                os.write(master, reply)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield SerialLine(os.ttyname(slave), printer)
    stop.set()
    thread.join(2)
    os.close(master)
    os.close(slave)


@dataclass
class TcpPrinter:
    """Address of the loopback fake printer and its state."""

    host: str
    port: int
    printer: FakeEscposPrinter
    connections: int = 0

    @property
    def url(self) -> str:
        """The printer URL for open_printer."""
        return f"tcp://{self.host}:{self.port}"


@contextmanager
def loopback_server(handle: Callable[[socket.socket, threading.Event], None]) -> Iterator[int]:
    """A TCP server on 127.0.0.1 handing its connections, one at a time, to ``handle``
    (with the event that is set when the server stops); yields its port."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.02)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            with conn:
                handle(conn, stop)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        thread.join(2)
        server.close()


@pytest.fixture
def tcp_printer() -> Iterator[TcpPrinter]:
    """A fake raw-TCP (port 9100 style) printer on 127.0.0.1 and an ephemeral port."""
    fake = TcpPrinter("127.0.0.1", 0, FakeEscposPrinter())

    def handle(conn: socket.socket, stop: threading.Event) -> None:
        conn.settimeout(0.02)
        while not stop.is_set():
            try:
                data = conn.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                break
            if not data:
                break
            reply = fake.printer.feed(data)
            if reply:
                conn.sendall(reply)
        fake.connections += 1

    with loopback_server(handle) as port:
        fake.port = port
        yield fake


@pytest.fixture
def closed_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
