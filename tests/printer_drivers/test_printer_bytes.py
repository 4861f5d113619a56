"""What reaches the printer: a GS v 0 raster as wide as the paper, a cut, and no text."""

from __future__ import annotations

import contextlib
import os
import re
import socket
import threading
import time
from collections.abc import Iterator

import pytest
from PIL import Image, ImageChops

from printer_drivers import (
    Paper,
    PaperOut,
    PrinterConfigError,
    PrinterOffline,
    PrinterStatus,
    PrinterTimeout,
    encode_ticket,
    open_printer,
    render_ticket,
)
from printer_drivers.drivers import local
from tests.printer_drivers.conftest import loopback_server

# UTF-8 lead bytes of Arabic-script blocks (U+0600-U+08FF: D8-DF, E0 A0-A3; U+FB50-U+FEFF: EF AD-BB)
ARABIC_UTF8 = re.compile(
    rb"[\xd8-\xdf][\x80-\xbf]|\xe0[\xa0-\xa3][\x80-\xbf]|\xef[\xad-\xbb][\x80-\xbf]"
)
ESC_T = re.compile(rb"\x1bt")  # select character code table: a sign of code-page text


def assert_raster_only(stream: bytes, parser, width: int) -> None:
    parser.feed(stream)
    assert parser.rasters, "no GS v 0 raster"
    assert {r.width_bytes for r in parser.rasters} == {width // 8}
    assert parser.cuts == 1
    assert parser.stray == bytearray(), "bytes outside known commands would print as text"
    assert not ESC_T.search(stream)


@pytest.mark.parametrize("paper", [Paper.MM58, Paper.MM80])
def test_encoded_ticket_is_init_raster_feed_and_cut(persian_ticket, escpos_parser, paper):
    image = render_ticket(persian_ticket, paper)
    stream = encode_ticket(image)
    assert stream.startswith(b"\x1b@")
    assert stream.endswith(b"\x1bd\x06\x1dV\x00")
    assert_raster_only(stream, escpos_parser, int(paper))
    assert sum(r.height for r in escpos_parser.rasters) == image.height


def test_the_raster_carries_the_rendered_image_dot_for_dot(persian_ticket, escpos_parser):
    image = render_ticket(persian_ticket, Paper.MM80)
    escpos_parser.feed(encode_ticket(image))
    assert len(escpos_parser.rasters) == -(-image.height // 960)  # split in 960-row blocks
    assert (
        ImageChops.difference(escpos_parser.picture().convert("L"), image.convert("L")).getbbox()
        is None
    )


def test_persian_never_travels_as_text(persian_ticket, escpos_parser):
    stream = encode_ticket(render_ticket(persian_ticket, Paper.MM80))
    escpos_parser.feed(stream)
    assert escpos_parser.stray == bytearray()  # every byte is a command or raster data
    assert escpos_parser.control  # the commands themselves (ESC @, GS v 0 headers, feed, cut)
    assert not ARABIC_UTF8.search(bytes(escpos_parser.control))
    assert not ESC_T.search(bytes(escpos_parser.control))
    for field in (persian_ticket.office_name, persian_ticket.service_name, "نوبت"):
        assert field.encode() not in stream


def test_dummy_printer_keeps_the_job_in_memory(persian_ticket, escpos_parser):
    printer = open_printer("dummy://")
    printer.print_ticket(render_ticket(persian_ticket, Paper.MM58))
    assert len(printer.jobs) == 1
    assert_raster_only(printer.output, escpos_parser, 384)
    assert printer.status() is PrinterStatus.PAPER_OK


@pytest.mark.parametrize(
    ("status", "error"),
    [(PrinterStatus.PAPER_OUT, PaperOut), (PrinterStatus.OFFLINE, PrinterOffline)],
)
def test_a_printer_that_cannot_print_refuses_the_job_instead_of_queueing_it(
    persian_ticket, status, error
):
    printer = open_printer(f"dummy://?status={status.value}")
    with pytest.raises(error) as caught:
        printer.print_ticket(render_ticket(persian_ticket, Paper.MM58))
    assert printer.output == b""
    assert caught.value.code in ("paper_out", "offline")


def test_near_end_paper_still_prints(persian_ticket):
    printer = open_printer("dummy://?status=paper_near_end")
    printer.print_ticket(render_ticket(persian_ticket, Paper.MM58))
    assert printer.jobs


def test_strict_mode_refuses_a_printer_that_does_not_answer(persian_ticket):
    image = render_ticket(persian_ticket, Paper.MM58)
    open_printer("dummy://?status=unknown").print_ticket(image)  # lenient by default
    with pytest.raises(PrinterTimeout, match="no status answer"):
        open_printer("dummy://?status=unknown&strict=1").print_ticket(image)


def test_file_printer_writes_the_job_to_the_path(tmp_path, persian_ticket, escpos_parser):
    target = tmp_path / "lp0"
    printer = open_printer(f"file://{target}")
    assert printer.status() is PrinterStatus.ONLINE
    printer.print_ticket(render_ticket(persian_ticket, Paper.MM80))
    assert_raster_only(target.read_bytes(), escpos_parser, 576)


def test_file_printer_in_a_missing_directory_is_offline(tmp_path, persian_ticket):
    printer = open_printer(f"file://{tmp_path}/no/such/dir/lp0")
    assert printer.status() is PrinterStatus.OFFLINE
    with pytest.raises(PrinterOffline, match="no/such/dir"):
        printer.print_ticket(render_ticket(persian_ticket, Paper.MM58))


def test_preview_writes_a_png_and_the_raw_bytes(tmp_path, persian_ticket, escpos_parser):
    printer = open_printer("preview://", preview_dir=tmp_path / "tickets")
    assert printer.status() is PrinterStatus.PAPER_OK
    image = render_ticket(persian_ticket, Paper.MM80)
    printer.print_ticket(image, job_name="B-007")
    pngs, bins = sorted(tmp_path.glob("tickets/*.png")), sorted(tmp_path.glob("tickets/*.bin"))
    assert [p.stem for p in pngs] == [b.stem for b in bins] and len(pngs) == 1
    assert printer.last_png == pngs[0] and pngs[0].stem.endswith("B-007")
    with Image.open(pngs[0]) as saved:
        assert saved.mode == "1" and saved.tobytes() == image.tobytes()
    assert_raster_only(bins[0].read_bytes(), escpos_parser, 576)


@pytest.fixture
def never_pruned(monkeypatch):
    """Each test starts as if no preview directory had been pruned in this process."""
    monkeypatch.setattr(local, "_last_pruned", {})
    return local._last_pruned


def preview_files(directory, *names, days_old: float = 0):
    paths = [directory / name for name in names]
    written = time.time() - days_old * 86400
    for path in paths:
        path.write_bytes(b"old")
        os.utime(path, (written, written))
    return paths


def test_printing_a_preview_deletes_previews_older_than_two_days_and_nothing_else(
    tmp_path, persian_ticket, never_pruned
):
    stale = preview_files(
        tmp_path, "20260101-093000-000001-0001-A-001.bin", "20260101-093000-000001-0001-A-001.png",
        days_old=3,
    )  # fmt: skip
    young = preview_files(tmp_path, "20260103-093000-000001-0001-A-002.png", days_old=1)
    foreign = preview_files(tmp_path, "notes.txt", "A-001.png", days_old=30)
    printer = open_printer(f"preview://{tmp_path}")
    printer.print_ticket(render_ticket(persian_ticket, Paper.MM58))
    assert not any(path.exists() for path in stale)
    assert all(path.exists() for path in [*young, *foreign, printer.last_png, printer.last_bin])


def test_previews_are_looked_over_at_most_once_an_hour(tmp_path, persian_ticket, never_pruned):
    image = render_ticket(persian_ticket, Paper.MM58)
    open_printer(f"preview://{tmp_path}").print_ticket(image)
    (stale,) = preview_files(tmp_path, "20260101-093000-000001-0001-B-001.bin", days_old=3)
    open_printer(f"preview://{tmp_path}").print_ticket(image)
    assert stale.exists()
    never_pruned[tmp_path] -= local.PreviewDriver.PRUNE_EVERY  # an hour later
    open_printer(f"preview://{tmp_path}").print_ticket(image)
    assert not stale.exists()


def test_preview_directory_in_the_url_wins_over_the_default(tmp_path, persian_ticket):
    printer = open_printer(f"preview://{tmp_path}/here", preview_dir=tmp_path / "default")
    printer.print_ticket(render_ticket(persian_ticket, Paper.MM58))
    printer.print_ticket(render_ticket(persian_ticket, Paper.MM58))
    assert len(list((tmp_path / "here").glob("*.png"))) == 2
    assert not (tmp_path / "default").exists()


def test_preview_without_any_directory_is_a_config_error():
    with pytest.raises(PrinterConfigError, match="preview_dir"):
        open_printer("preview://")


def test_preview_into_an_unwritable_place_is_offline(tmp_path, persian_ticket):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    printer = open_printer(f"preview://{blocker}/sub")
    assert printer.status() is PrinterStatus.OFFLINE
    with pytest.raises(PrinterOffline):
        printer.print_ticket(render_ticket(persian_ticket, Paper.MM58))


@pytest.fixture
def web_server() -> Iterator[str]:
    """Something else at a printer's address: a web server that answers anything with 400."""

    def answer(conn: socket.socket, _stop: threading.Event) -> None:
        with contextlib.suppress(OSError):
            conn.recv(1024)
            conn.sendall(
                b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/html\r\n"
                b"Content-Length: 11\r\nConnection: close\r\n\r\nBad Request"
            )

    with loopback_server(answer) as port:
        yield f"tcp://127.0.0.1:{port}"


def test_a_device_that_is_no_printer_is_offline_not_out_of_paper(web_server, persian_ticket):
    printer = open_printer(f"{web_server}?timeout=2")
    assert printer.status() is PrinterStatus.OFFLINE
    with pytest.raises(PrinterOffline, match="not as an ESC/POS printer"):
        printer.print_ticket(render_ticket(persian_ticket, Paper.MM58))
