"""RS-232 / USB-serial printers: serial:///dev/ttyUSB0?baudrate=115200 (needs pyserial)."""

from __future__ import annotations

import errno
from typing import Any

from escpos.escpos import Escpos
from escpos.printer import Serial

from ..errors import PrinterConfigError, PrinterError, PrinterNotFound, PrinterTimeout
from .base import EscposDriver
from .url import PrinterUrl, require

BAUDRATES = (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600)
_HINT = "Serial printing needs the 'serial' extra: pip install 'nobat[serial]'"


class _BoundedSerial(Serial):
    """python-escpos Serial with bounded writes and RTS/CTS, which its open() cannot set."""

    def __init__(
        self, devfile: str, baudrate: int, timeout: float, rtscts: bool, xonxoff: bool
    ) -> None:
        super().__init__(devfile=devfile, baudrate=baudrate, timeout=timeout, xonxoff=xonxoff)
        self.rtscts = rtscts

    def open(self, raise_not_found: bool = True) -> None:
        serial = require("serial", _HINT)
        self.device = serial.Serial(
            port=self.devfile, baudrate=self.baudrate, timeout=self.timeout,
            write_timeout=self.timeout, xonxoff=self.xonxoff, rtscts=self.rtscts,
        )  # fmt: skip
        self.device.reset_input_buffer()  # a stale byte must not pass for a status reply

    def close(self) -> None:
        # python-escpos flushes first, which waits without limit on a stalled printer;
        # closing drains what is left in the kernel buffer (at most a few KB).
        if self._device:
            self._device.close()
        self._device = False


class SerialDriver(EscposDriver):
    """A printer on a serial port; writes are bounded by the time the bytes need at this rate."""

    scheme = "serial"
    options = frozenset({"baudrate", "rtscts", "xonxoff"})

    def __init__(
        self, device: str, *, baudrate: int = 115200, rtscts: bool = False,
        xonxoff: bool = False, **common: Any,
    ) -> None:  # fmt: skip
        """``device`` is a path (/dev/ttyUSB0) or a port name (COM3)."""
        super().__init__(**common)
        require("serial", _HINT)
        if baudrate not in BAUDRATES:
            raise PrinterConfigError(f"baudrate must be one of {BAUDRATES}, not {baudrate}")
        self.device, self.baudrate, self.rtscts, self.xonxoff = device, baudrate, rtscts, xonxoff

    @classmethod
    def from_url(cls, url: PrinterUrl) -> SerialDriver:
        """serial:///dev/ttyUSB0?baudrate=115200&rtscts=1, or serial://COM3"""
        url.check_options(cls.options)
        device = url.location + url.path
        if not device or device == "/":
            raise PrinterConfigError(f"{url.raw}: expected serial:///dev/ttyUSB0 or serial://COM3")
        baudrate = url.integer("baudrate", 115200)
        if baudrate not in BAUDRATES:
            raise PrinterConfigError(f"{url.raw}: baudrate must be one of {BAUDRATES}")
        return cls(
            device, baudrate=baudrate, rtscts=url.flag("rtscts", False),
            xonxoff=url.flag("xonxoff", False), **url.common(),
        )  # fmt: skip

    @property
    def target(self) -> str:
        return f"serial://{self.device}?baudrate={self.baudrate}"

    def seconds_for(self, size: int) -> float:
        """Time the line needs for ``size`` bytes at 8N1 (10 bits a byte)."""
        return size * 10 / self.baudrate

    def _open(self) -> Escpos:
        printer = _BoundedSerial(
            self.device, self.baudrate, self.timeout, self.rtscts, self.xonxoff
        )
        printer.open()
        return printer

    def _write(self, printer: Escpos, payload: bytes) -> None:
        # the whole job may take seconds at 115200 baud; only a stall beyond that is a timeout
        printer.device.write_timeout = self.timeout + 1.5 * self.seconds_for(len(payload))
        try:
            printer._raw(payload)
        except Exception:
            printer.device.reset_output_buffer()  # do not let close() wait for a stalled printer
            raise

    def _read_byte(self, printer: Escpos, timeout: float) -> int | None:
        printer.device.timeout = timeout
        data = printer.device.read(1)
        return data[0] if data else None

    def _map_error(self, exc: Exception) -> PrinterError | None:
        serial = require("serial", _HINT)
        if isinstance(exc, serial.SerialTimeoutException):
            return PrinterTimeout(f"{self.target}: the printer stopped taking data ({exc})")
        if isinstance(exc, serial.SerialException) and exc.errno == errno.ENOENT:
            return PrinterNotFound(f"{self.target}: no such serial port ({exc})")
        return super()._map_error(exc)
