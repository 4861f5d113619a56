"""Printer status values and the decoding of ESC/POS real-time status bytes (DLE EOT n)."""

from __future__ import annotations

from enum import StrEnum

# DLE EOT n: real-time status transmission; answered even while the printer is busy.
QUERY_PRINTER = b"\x10\x04\x01"
QUERY_PAPER = b"\x10\x04\x04"

_FIXED_MASK = 0x93  # bits 0, 1, 4, 7 are fixed in every DLE EOT reply ...
_FIXED_BITS = 0x12  # ... as 0, 1, 1, 0: anything else is noise, not a status byte
_OFFLINE = 0x08  # DLE EOT 1, bit 3
_NEAR_END = 0x0C  # DLE EOT 4, bits 2-3: roll near-end sensor
_PAPER_END = 0x60  # DLE EOT 4, bits 5-6: roll end sensor


class PrinterStatus(StrEnum):
    """What a printer said about itself; UNKNOWN whenever it did not answer in time."""

    ONLINE = "online"  # answered and is online, but reports nothing about paper
    PAPER_OK = "paper_ok"
    PAPER_NEAR_END = "paper_near_end"
    PAPER_OUT = "paper_out"
    OFFLINE = "offline"
    UNKNOWN = "unknown"

    @property
    def can_print(self) -> bool:
        """True when the printer said it is ready (UNKNOWN is not a yes)."""
        return self in (PrinterStatus.ONLINE, PrinterStatus.PAPER_OK, PrinterStatus.PAPER_NEAR_END)


def is_status_byte(value: int) -> bool:
    """Whether a byte has the fixed bits every DLE EOT reply carries."""
    return value & _FIXED_MASK == _FIXED_BITS


def decode_status(printer_reply: int | None, paper_reply: int | None) -> PrinterStatus:
    """Combine the DLE EOT 1 and DLE EOT 4 replies (None: no answer) into one status."""
    if printer_reply is None:
        return PrinterStatus.UNKNOWN
    paper_out = paper_reply is not None and bool(paper_reply & _PAPER_END)
    if paper_out:  # printers go offline at paper end: the more useful cause wins
        return PrinterStatus.PAPER_OUT
    if printer_reply & _OFFLINE:
        return PrinterStatus.OFFLINE
    if paper_reply is None:
        return PrinterStatus.ONLINE
    if paper_reply & _NEAR_END:
        return PrinterStatus.PAPER_NEAR_END
    return PrinterStatus.PAPER_OK


def printer_reply(*, online: bool = True) -> int:
    """The DLE EOT 1 byte a printer sends; used by fakes in tests and tools."""
    return _FIXED_BITS | (0 if online else _OFFLINE)


def paper_reply(status: PrinterStatus) -> int:
    """The DLE EOT 4 byte a printer with this paper state sends."""
    if status is PrinterStatus.PAPER_OUT:
        return _FIXED_BITS | _PAPER_END | _NEAR_END
    if status is PrinterStatus.PAPER_NEAR_END:
        return _FIXED_BITS | _NEAR_END
    return _FIXED_BITS
