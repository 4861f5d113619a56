"""Typed failures, so the kiosk can tell the citizen (and the manager) what happened."""

from __future__ import annotations


class TicketRenderError(Exception):
    """The ticket image could not be produced."""


class FontNotFoundError(TicketRenderError, FileNotFoundError):
    """No usable Vazirmatn font; the message lists every path tried."""


class PrinterError(Exception):
    """Base of every printing failure; ``code`` is a stable key for UI messages."""

    code = "printer_error"


class PrinterConfigError(PrinterError, ValueError):
    """The printer URL is malformed (unknown scheme, bad VID:PID, bad baudrate...)."""

    code = "config"


class PrinterDependencyMissing(PrinterError):
    """An optional hardware library (pyusb, pyserial, pycups) is not installed."""

    code = "missing_dependency"


class PrinterOffline(PrinterError):
    """The printer is unreachable or reports itself offline (cover open, error)."""

    code = "offline"


class PrinterNotFound(PrinterOffline):
    """No such device: USB VID:PID absent, serial port missing, CUPS queue unknown."""

    code = "not_found"


class PaperOut(PrinterError):
    """The paper roll is empty; refusing avoids a pile of queued tickets later."""

    code = "paper_out"


class PrinterTimeout(PrinterError):
    """The printer stopped accepting data or did not answer in time."""

    code = "timeout"
