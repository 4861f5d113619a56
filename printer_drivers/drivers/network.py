"""Ethernet / Wi-Fi printers on a raw TCP port: tcp://192.168.1.50:9100."""

from __future__ import annotations

import socket
import time
from typing import Any

from escpos.escpos import Escpos
from escpos.printer import Network

from ..errors import PrinterConfigError, PrinterError, PrinterOffline, PrinterTimeout
from .base import EscposDriver
from .url import PrinterUrl

MIN_RATE = 20_000  # bytes/s a printer takes at worst while its buffer drains into paper


class _Network(Network):
    """python-escpos Network, but closing the socket when connect fails (it leaks it)
    and resolving IPv6 as well, through socket.create_connection."""

    def open(self, raise_not_found: bool = True) -> None:
        if self._device:
            self.close()
        self.device = socket.create_connection((self.host, self.port), timeout=self.timeout)
        # status queries are 3-byte writes: do not let Nagle hold them back
        self.device.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class NetworkDriver(EscposDriver):
    """A printer on a raw TCP socket (JetDirect/AppSocket), one connection per job."""

    scheme = "tcp"

    def __init__(self, host: str, port: int = 9100, **common: Any) -> None:
        """Host name or address and port (9100 by convention)."""
        super().__init__(**common)
        self.host, self.port = host, port

    @classmethod
    def from_url(cls, url: PrinterUrl) -> NetworkDriver:
        """tcp://host[:port]"""
        url.check_options(cls.options)
        try:
            host, port = url.parts.hostname, url.parts.port or 9100
        except ValueError:
            host = port = None
        if not host or not port or url.path not in ("", "/"):
            raise PrinterConfigError(
                f"{url.raw}: expected tcp://host:port, e.g. tcp://10.0.0.5:9100"
            )
        return cls(host, port, **url.common())

    @property
    def target(self) -> str:
        return f"tcp://{self.host}:{self.port}"

    def _open(self) -> Escpos:
        printer = _Network(self.host, self.port, timeout=self.timeout)
        try:
            printer.open()
        except TimeoutError as exc:
            raise PrinterTimeout(f"{self.target}: no answer within {self.timeout:g} s") from exc
        except OSError as exc:
            raise PrinterOffline(f"{self.target}: cannot connect ({exc})") from exc
        return printer

    def _write(self, printer: Escpos, payload: bytes) -> None:
        printer.device.settimeout(self.timeout + len(payload) / MIN_RATE)
        printer._raw(payload)

    def _read_byte(self, printer: Escpos, timeout: float) -> int | None:
        printer.device.settimeout(timeout)
        try:
            data = printer.device.recv(1)
        except TimeoutError:
            return None
        if not data:
            raise PrinterOffline(f"{self.target}: the printer closed the connection")
        return data[0]

    def _close(self, printer: Escpos) -> None:
        """Half-close and drain before closing: unread input would make close() send a reset,
        which can discard the end of the ticket still in flight."""
        sock = printer.device
        try:
            sock.shutdown(socket.SHUT_WR)
            deadline = time.monotonic() + min(self.timeout, 1.0)
            while (left := deadline - time.monotonic()) > 0:
                sock.settimeout(left)
                if not sock.recv(4096):
                    break
        except OSError:
            pass
        printer.close()

    def _map_error(self, exc: Exception) -> PrinterError | None:
        if isinstance(exc, TimeoutError):
            return PrinterTimeout(f"{self.target}: the printer stopped taking data")
        return super()._map_error(exc)
