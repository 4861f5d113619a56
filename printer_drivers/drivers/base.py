"""What every printer driver does; transports only open, write and read bytes."""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import ClassVar

from escpos.escpos import Escpos
from escpos.exceptions import DeviceNotFoundError
from PIL import Image

from ..encode import Rendered
from ..errors import PaperOut, PrinterError, PrinterNotFound, PrinterOffline, PrinterTimeout
from ..status import QUERY_PAPER, QUERY_PRINTER, PrinterStatus, decode_status, is_status_byte
from .url import DEFAULT_TIMEOUT, PrinterUrl

# Bytes a printer may send before its status reply (see Printer._ask).
STRAY_BYTES = 8


class Driver(ABC):
    """A ticket printer. Connections are opened per job, so a rebooted printer just works.

    ``check_status`` asks the printer before each job and refuses when it is out of paper
    or offline, instead of queueing tickets that print in a pile later. ``strict`` also
    refuses when the printer does not answer (status UNKNOWN).
    """

    scheme: ClassVar[str]
    options: ClassVar[frozenset[str]] = frozenset()

    def __init__(
        self, *, timeout: float = DEFAULT_TIMEOUT, check_status: bool = True, strict: bool = False
    ) -> None:
        """Common settings; ``timeout`` bounds every wait for the printer, in seconds."""
        self.timeout, self.check_status, self.strict = timeout, check_status, strict

    @classmethod
    @abstractmethod
    def from_url(cls, url: PrinterUrl) -> Driver:
        """Build the driver from a parsed URL (validated, nothing opened yet)."""

    @property
    @abstractmethod
    def target(self) -> str:
        """Where this driver prints, for messages and logs."""

    def print_ticket(
        self, ticket: Image.Image | Rendered, *, job_name: str = "nobat-ticket"
    ) -> None:
        """Print a rendered ticket as a raster, feed and cut; raise a PrinterError on failure.

        ``ticket`` is its image, or a :class:`Rendered` whose forms a render process made.
        """
        self.send(Rendered.of(ticket).escpos, job_name=job_name)

    @abstractmethod
    def send(self, payload: bytes, *, job_name: str = "nobat-ticket") -> None:
        """Send an already encoded ESC/POS job."""

    @abstractmethod
    def status(self) -> PrinterStatus:
        """Ask the printer how it is; UNKNOWN when it does not answer within the timeout."""

    def close(self) -> None:  # noqa: B027 - optional hook, most drivers hold nothing
        """Release anything held between jobs (nothing for most drivers)."""

    def raise_for_status(self, status: PrinterStatus) -> None:
        """Turn a status that forbids printing into the matching exception."""
        if status is PrinterStatus.PAPER_OUT:
            raise PaperOut(f"{self.target}: out of paper; load a new roll")
        if status is PrinterStatus.OFFLINE:
            raise PrinterOffline(f"{self.target}: printer is offline (cover open or error?)")
        if status is PrinterStatus.UNKNOWN and self.strict:
            raise PrinterTimeout(f"{self.target}: no status answer within {self.timeout:g} s")

    def __enter__(self) -> Driver:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.target}>"


class EscposDriver(Driver):
    """A driver whose transport is a python-escpos printer object (its ``_raw`` primitive)."""

    @abstractmethod
    def _open(self) -> Escpos:
        """Open the transport and return the connected python-escpos printer."""

    def _close(self, printer: Escpos) -> None:
        """Close the transport after a job or a status query."""
        printer.close()

    def _write(self, printer: Escpos, payload: bytes) -> None:
        """Write the job; transports override to bound the time a write may take."""
        printer._raw(payload)

    def _read_byte(self, printer: Escpos, timeout: float) -> int | None:
        """One byte within ``timeout`` seconds, or None; by default there is no back channel."""
        return None

    def _map_error(self, exc: Exception) -> PrinterError | None:
        """Translate a transport exception; None lets it propagate unchanged."""
        if isinstance(exc, TimeoutError):
            return PrinterTimeout(f"{self.target}: timed out after {self.timeout:g} s ({exc})")
        if isinstance(exc, DeviceNotFoundError | FileNotFoundError):
            return PrinterNotFound(f"{self.target}: device not found ({exc})")
        if isinstance(exc, OSError):
            return PrinterOffline(f"{self.target}: {exc}")
        return None

    @contextmanager
    def _connection(self) -> Iterator[Escpos]:
        """An open transport, closed afterwards, with errors translated to PrinterError."""
        try:
            printer = self._open()
            try:
                yield printer
            finally:
                self._close(printer)
        except PrinterError:
            raise
        except Exception as exc:
            mapped = self._map_error(exc)
            if mapped is None:
                raise
            raise mapped from exc

    def send(self, payload: bytes, *, job_name: str = "nobat-ticket") -> None:
        """Check the printer (unless disabled), then write the job on the same connection."""
        with self._connection() as printer:
            if self.check_status:
                self.raise_for_status(self._query_status(printer))
            self._write(printer, payload)

    def status(self) -> PrinterStatus:
        """DLE EOT 1 and 4 within one overall timeout; unreachable printers are OFFLINE."""
        try:
            with self._connection() as printer:
                return self._query_status(printer)
        except PrinterTimeout:
            return PrinterStatus.UNKNOWN
        except PrinterOffline:
            return PrinterStatus.OFFLINE

    def _query_status(self, printer: Escpos) -> PrinterStatus:
        deadline = time.monotonic() + self.timeout
        online = self._ask(printer, QUERY_PRINTER, deadline)
        paper = self._ask(printer, QUERY_PAPER, deadline) if online is not None else None
        return decode_status(online, paper)

    def _ask(self, printer: Escpos, request: bytes, deadline: float) -> int | None:
        """Send one real-time query and wait for a byte that looks like a status reply.

        A printer may send a few bytes of its own first (flow control on a serial
        line, an automatic status block). A device that says more is no ESC/POS
        printer (a web server at the address, say): reading on would sooner or later
        take one of its bytes for "paper out" and send the operator to the wrong fix.
        """
        printer._raw(request)
        for _ in range(STRAY_BYTES + 1):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            byte = self._read_byte(printer, remaining)
            if byte is None or is_status_byte(byte):
                return byte
        raise PrinterOffline(f"{self.target}: answers, but not as an ESC/POS printer does")
