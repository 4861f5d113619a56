"""USB and CUPS without hardware: missing libraries, missing devices, and a full job
through stand-ins for pyusb and pycups."""

from __future__ import annotations

import sys
import types
from array import array
from pathlib import Path

import pytest

from printer_drivers import (
    Paper,
    PrinterDependencyMissing,
    PrinterNotFound,
    PrinterOffline,
    PrinterStatus,
    encode_ticket,
    open_printer,
    render_ticket,
)


class FakeUsbDevice:
    """A USB printer: bulk OUT feeds the fake ESC/POS printer, bulk IN returns its replies."""

    def __init__(self, core: types.ModuleType, printer) -> None:
        self.core, self.printer, self.replies = core, printer, bytearray()
        self.detached = self.configured = False

    def is_kernel_driver_active(self, interface: int) -> bool:
        return not self.detached

    def detach_kernel_driver(self, interface: int) -> None:
        self.detached = True

    def set_configuration(self) -> None:
        self.configured = True

    def write(self, endpoint: int, data: bytes, timeout: int) -> int:
        assert endpoint == 0x01 and timeout > 0
        self.replies += self.printer.feed(bytes(data))
        return len(data)

    def read(self, endpoint: int, size: int, timeout: int) -> array:
        assert endpoint == 0x82 and 0 < timeout <= 60_000
        if not self.replies:
            raise self.core.USBTimeoutError("Operation timed out")
        data = bytes(self.replies[:size])
        del self.replies[:size]
        return array("B", data)


@pytest.fixture
def fake_pyusb(monkeypatch, escpos_parser):
    """Install a stand-in pyusb; ``devices`` maps (vid, pid) to a FakeUsbDevice."""
    usb, core, util = (types.ModuleType(n) for n in ("usb", "usb.core", "usb.util"))
    core.USBError = type("USBError", (OSError,), {})
    core.USBTimeoutError = type("USBTimeoutError", (core.USBError,), {})
    core.NoBackendError = type("NoBackendError", (ValueError,), {})
    core.devices = {}
    core.find = lambda idVendor, idProduct: core.devices.get((idVendor, idProduct))
    util.disposed = []
    util.dispose_resources = util.disposed.append
    usb.core, usb.util = core, util
    for name, module in (("usb", usb), ("usb.core", core), ("usb.util", util)):
        monkeypatch.setitem(sys.modules, name, module)
    return core


def test_usb_without_pyusb_names_the_extra_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "usb", None)
    with pytest.raises(PrinterDependencyMissing, match=r"pip install 'nobat\[usb\]'"):
        open_printer("usb://04b8:0e15")


def test_serial_without_pyserial_names_the_extra_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "serial", None)
    with pytest.raises(PrinterDependencyMissing, match=r"pip install 'nobat\[serial\]'"):
        open_printer("serial:///dev/ttyUSB0")


def test_usb_url_gives_hex_ids_and_default_endpoints(fake_pyusb):
    printer = open_printer("usb://04B8:0e15")
    assert (printer.vendor_id, printer.product_id) == (0x04B8, 0x0E15)
    assert (printer.in_ep, printer.out_ep) == (0x82, 0x01)
    custom = open_printer("usb://0x0416:0x5011?in_ep=0x81&out_ep=0x03")
    assert (custom.vendor_id, custom.in_ep, custom.out_ep) == (0x0416, 0x81, 0x03)


def test_an_absent_usb_printer_is_not_found_with_advice(fake_pyusb, persian_ticket):
    printer = open_printer("usb://04b8:0e15")
    with pytest.raises(PrinterNotFound, match=r"usb://04b8:0e15: no such USB device.*udev"):
        printer.print_ticket(render_ticket(persian_ticket, Paper.MM58))
    assert printer.status() is PrinterStatus.OFFLINE


def test_pyusb_without_libusb_is_a_missing_dependency(fake_pyusb):
    def no_backend(**ids):
        raise fake_pyusb.NoBackendError("No backend available")

    fake_pyusb.find = no_backend
    with pytest.raises(PrinterDependencyMissing, match="libusb"):
        open_printer("usb://04b8:0e15").status()


def test_a_usb_printer_gets_status_queries_and_the_raster(
    fake_pyusb, escpos_parser, persian_ticket
):
    device = FakeUsbDevice(fake_pyusb, escpos_parser)
    fake_pyusb.devices[(0x04B8, 0x0E15)] = device
    printer = open_printer("usb://04b8:0e15")
    assert printer.status() is PrinterStatus.PAPER_OK
    image = render_ticket(persian_ticket, Paper.MM80)
    printer.print_ticket(image)
    assert device.detached and device.configured
    assert escpos_parser.cuts == 1 and escpos_parser.received.endswith(encode_ticket(image))
    assert sys.modules["usb.util"].disposed == [device, device]  # released after each use


def test_a_silent_usb_printer_is_unknown(fake_pyusb, escpos_parser):
    escpos_parser.silent = True
    fake_pyusb.devices[(0x04B8, 0x0E15)] = FakeUsbDevice(fake_pyusb, escpos_parser)
    assert open_printer("usb://04b8:0e15?timeout=0.1").status() is PrinterStatus.UNKNOWN


class FakeCups(types.ModuleType):
    """A stand-in pycups with one server and its queues."""

    def __init__(self) -> None:
        super().__init__("cups")
        self.IPPError = type("IPPError", (Exception,), {})
        self.queues = {"Thermal": {"printer-state": 3}}
        self.default: str | None = "Thermal"
        self.jobs: list[tuple[str, bytes, str, dict]] = []
        self.reachable = True
        cups = self

        class Connection:
            def __init__(self, **kwargs: object) -> None:
                if not cups.reachable:
                    raise RuntimeError("failed to connect to server")
                cups.connected_with = kwargs

            def getDefault(self) -> str | None:
                return cups.default

            def getPrinters(self) -> dict:
                return cups.queues

            def printFile(self, queue: str, path: str, title: str, options: dict) -> int:
                cups.jobs.append((queue, Path(path).read_bytes(), title, options))
                return len(cups.jobs)

        self.Connection = Connection


@pytest.fixture
def fake_pycups(monkeypatch) -> FakeCups:
    """Install a stand-in pycups module."""
    cups = FakeCups()
    monkeypatch.setitem(sys.modules, "cups", cups)
    return cups


def test_cups_without_pycups_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "cups", None)
    with pytest.raises(PrinterDependencyMissing, match="pip install pycups"):
        open_printer("cups://Thermal")


def test_cups_sends_one_raw_job_with_the_ticket_bytes(fake_pycups, persian_ticket):
    image = render_ticket(persian_ticket, Paper.MM80)
    printer = open_printer("cups://Thermal?host=printserver&port=631")
    assert printer.status() is PrinterStatus.ONLINE
    printer.print_ticket(image, job_name="B-007")
    assert fake_pycups.jobs == [("Thermal", encode_ticket(image), "B-007", {"raw": "true"})]
    assert fake_pycups.connected_with == {"host": "printserver", "port": 631}


def test_cups_without_a_name_uses_the_default_queue(fake_pycups, persian_ticket):
    open_printer("cups://").print_ticket(render_ticket(persian_ticket, Paper.MM58))
    assert fake_pycups.jobs[0][0] == "Thermal"


def test_an_unknown_cups_queue_is_not_found_and_lists_the_known_ones(fake_pycups, persian_ticket):
    printer = open_printer("cups://Nope")
    assert printer.status() is PrinterStatus.OFFLINE
    with pytest.raises(PrinterNotFound, match=r"cups://Nope: no such CUPS queue.*Thermal"):
        printer.print_ticket(render_ticket(persian_ticket, Paper.MM58))


def test_a_stopped_queue_or_unreachable_server_is_offline(fake_pycups, persian_ticket):
    fake_pycups.queues["Thermal"]["printer-state"] = 5
    printer = open_printer("cups://Thermal")
    with pytest.raises(PrinterOffline, match="offline"):
        printer.print_ticket(render_ticket(persian_ticket, Paper.MM58))
    fake_pycups.reachable = False
    assert printer.status() is PrinterStatus.OFFLINE
    assert fake_pycups.jobs == []
