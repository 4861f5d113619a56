"""Nobat's ticket printing: Persian tickets rendered to a 1-bit raster, drivers chosen by URL.

    from printer_drivers import TicketPrint, render_ticket, open_printer
    printer = open_printer("tcp://10.0.0.5:9100")
    printer.print_ticket(render_ticket(ticket, Paper.MM80))

Imports nothing from the server: the kiosk and the print agent both use it.
"""

from .drivers import DRIVERS, Driver, open_printer
from .encode import Rendered, encode_png, encode_ticket
from .errors import (
    FontNotFoundError,
    PaperOut,
    PrinterConfigError,
    PrinterDependencyMissing,
    PrinterError,
    PrinterNotFound,
    PrinterOffline,
    PrinterTimeout,
    TicketRenderError,
)
from .render import TicketRenderer, render_ticket
from .status import PrinterStatus
from .text import Layout, choose_layout
from .ticket import Paper, TicketPrint

__all__ = [
    "DRIVERS",
    "Driver",
    "FontNotFoundError",
    "Layout",
    "Paper",
    "PaperOut",
    "PrinterConfigError",
    "PrinterDependencyMissing",
    "PrinterError",
    "PrinterNotFound",
    "PrinterOffline",
    "PrinterStatus",
    "PrinterTimeout",
    "Rendered",
    "TicketPrint",
    "TicketRenderError",
    "TicketRenderer",
    "choose_layout",
    "encode_png",
    "encode_ticket",
    "open_printer",
    "render_ticket",
]
