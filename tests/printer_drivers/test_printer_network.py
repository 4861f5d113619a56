"""A raw TCP printer (port 9100 style) on a loopback socket server."""

from __future__ import annotations

import time

import pytest

from printer_drivers import (
    Paper,
    PaperOut,
    PrinterConfigError,
    PrinterOffline,
    PrinterStatus,
    encode_ticket,
    open_printer,
    render_ticket,
)


def test_printing_delivers_the_raster_and_the_cut(tcp_printer, persian_ticket):
    image = render_ticket(persian_ticket, Paper.MM80)
    open_printer(tcp_printer.url).print_ticket(image)
    fake = tcp_printer.printer
    fake.wait_for(lambda p: p.cuts == 1)
    assert bytes(fake.received[6:]) == encode_ticket(image)
    assert {r.width_bytes for r in fake.rasters} == {72}
    assert sum(r.height for r in fake.rasters) == image.height
    assert fake.stray == bytearray()


def test_each_job_uses_its_own_connection(tcp_printer, persian_ticket):
    printer = open_printer(tcp_printer.url)
    image = render_ticket(persian_ticket, Paper.MM58)
    printer.print_ticket(image)
    printer.print_ticket(image)
    tcp_printer.printer.wait_for(lambda p: p.cuts == 2)
    deadline = time.monotonic() + 2
    while tcp_printer.connections < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert tcp_printer.connections == 2  # a rebooted printer is reached again


def test_status_over_tcp(tcp_printer):
    printer = open_printer(tcp_printer.url)
    assert printer.status() is PrinterStatus.PAPER_OK
    tcp_printer.printer.paper = PrinterStatus.PAPER_OUT
    assert printer.status() is PrinterStatus.PAPER_OUT


def test_paper_out_over_tcp_refuses_the_job(tcp_printer, persian_ticket):
    tcp_printer.printer.paper = PrinterStatus.PAPER_OUT
    with pytest.raises(PaperOut):
        open_printer(tcp_printer.url).print_ticket(render_ticket(persian_ticket, Paper.MM58))
    assert tcp_printer.printer.rasters == []


def test_a_printer_that_never_answers_is_unknown_within_the_timeout(tcp_printer):
    tcp_printer.printer.silent = True
    start = time.monotonic()
    assert open_printer(tcp_printer.url, timeout=0.3).status() is PrinterStatus.UNKNOWN
    assert time.monotonic() - start < 1.5  # status wait plus the bounded close


def test_a_closed_port_is_offline_quickly_with_a_clear_error(closed_port, persian_ticket):
    printer = open_printer(f"tcp://127.0.0.1:{closed_port}")
    start = time.monotonic()
    with pytest.raises(PrinterOffline, match=rf"tcp://127.0.0.1:{closed_port}: cannot connect"):
        printer.print_ticket(render_ticket(persian_ticket, Paper.MM58))
    assert printer.status() is PrinterStatus.OFFLINE
    assert time.monotonic() - start < 1.0


def test_port_defaults_to_9100():
    assert open_printer("tcp://printer.local").port == 9100


@pytest.mark.parametrize("url", ["tcp://", "tcp://host:notaport", "tcp://host:9100/queue"])
def test_malformed_tcp_urls_are_refused(url):
    with pytest.raises(PrinterConfigError, match="tcp://host:port"):
        open_printer(url)
