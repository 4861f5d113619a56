"""A serial printer on a pseudo-terminal: the fake printer reads the line and answers."""

from __future__ import annotations

import time

import pytest

from printer_drivers import (
    Paper,
    PaperOut,
    PrinterNotFound,
    PrinterStatus,
    PrinterTimeout,
    encode_ticket,
    open_printer,
    render_ticket,
)


def serial_url(line, **options: str) -> str:
    query = "&".join(f"{k}={v}" for k, v in {"baudrate": "115200", **options}.items())
    return f"serial://{line.path}?{query}"


def test_an_online_printer_with_paper_reports_paper_ok(pty_printer):
    assert open_printer(serial_url(pty_printer)).status() is PrinterStatus.PAPER_OK
    assert pty_printer.printer.queries == [1, 4]  # DLE EOT 1, then DLE EOT 4


def test_near_end_and_paper_out_are_reported(pty_printer):
    printer = open_printer(serial_url(pty_printer))
    pty_printer.printer.paper = PrinterStatus.PAPER_NEAR_END
    assert printer.status() is PrinterStatus.PAPER_NEAR_END
    pty_printer.printer.paper = PrinterStatus.PAPER_OUT
    assert printer.status() is PrinterStatus.PAPER_OUT


def test_an_offline_printer_is_offline(pty_printer):
    pty_printer.printer.online = False
    assert open_printer(serial_url(pty_printer)).status() is PrinterStatus.OFFLINE


def test_a_silent_printer_is_unknown_within_the_timeout(pty_printer):
    pty_printer.printer.silent = True
    start = time.monotonic()
    status = open_printer(serial_url(pty_printer, timeout="0.3")).status()
    assert status is PrinterStatus.UNKNOWN
    assert time.monotonic() - start < 1.0


def test_a_ticket_printed_over_the_line_arrives_as_raster_and_cut(pty_printer, persian_ticket):
    image = render_ticket(persian_ticket, Paper.MM80)
    open_printer(serial_url(pty_printer)).print_ticket(image)
    fake = pty_printer.printer
    fake.wait_for(lambda p: p.cuts == 1)
    assert fake.queries == [1, 4]
    assert bytes(fake.received[6:]) == encode_ticket(image)  # after the two 3-byte queries
    assert {r.width_bytes for r in fake.rasters} == {72}
    assert fake.stray == bytearray()


def test_paper_out_refuses_the_ticket_and_sends_no_raster(pty_printer, persian_ticket):
    pty_printer.printer.paper = PrinterStatus.PAPER_OUT
    with pytest.raises(PaperOut, match="paper"):
        open_printer(serial_url(pty_printer)).print_ticket(render_ticket(persian_ticket, 384))
    time.sleep(0.05)
    assert pty_printer.printer.rasters == []


def test_a_silent_printer_still_prints_unless_strict(pty_printer, persian_ticket):
    pty_printer.printer.silent = True
    image = render_ticket(persian_ticket, Paper.MM58)
    open_printer(serial_url(pty_printer, timeout="0.2")).print_ticket(image)
    pty_printer.printer.wait_for(lambda p: p.cuts == 1)
    with pytest.raises(PrinterTimeout):
        open_printer(serial_url(pty_printer, timeout="0.2", strict="1")).print_ticket(image)
    assert pty_printer.printer.cuts == 1


def test_status_check_can_be_turned_off(pty_printer, persian_ticket):
    image = render_ticket(persian_ticket, Paper.MM58)
    open_printer(serial_url(pty_printer, check="0")).print_ticket(image)
    pty_printer.printer.wait_for(lambda p: p.cuts == 1)
    assert pty_printer.printer.queries == []


def test_a_missing_serial_port_is_not_found(tmp_path, persian_ticket):
    printer = open_printer(f"serial://{tmp_path}/ttyUSB9")
    assert printer.status() is PrinterStatus.OFFLINE
    with pytest.raises(PrinterNotFound, match="ttyUSB9"):
        printer.print_ticket(render_ticket(persian_ticket, Paper.MM58))


def test_the_write_deadline_grows_with_the_time_the_bytes_need():
    printer = open_printer("serial:///dev/ttyUSB0?baudrate=9600")
    assert printer.seconds_for(96_000) == pytest.approx(100.0)  # 8N1: 10 bits a byte
