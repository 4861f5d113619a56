"""Printer URLs: one registry of schemes, and clear errors for every mistake."""

from __future__ import annotations

import pytest

from printer_drivers import DRIVERS, PrinterConfigError, PrinterError, open_printer


def test_every_documented_scheme_has_a_driver():
    assert set(DRIVERS) == {"usb", "serial", "tcp", "cups", "file", "preview", "dummy"}
    assert all(driver.scheme == scheme for scheme, driver in DRIVERS.items())


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("lpt://1", "unknown printer scheme.*usb://"),
        ("/dev/usb/lp0", "no scheme"),
        ("usb://04b8", "usb://VID:PID"),
        ("usb://04b8:0e15:01", "usb://VID:PID"),
        ("usb://xyz1:0e15", "usb://VID:PID"),
        ("usb://04b8:12345", "usb://VID:PID"),
        ("usb://0000:0e15", "cannot be 0000"),
        ("usb://04b8:0e15?in_ep=eight", "in_ep must be an integer"),
        ("serial://", "serial:///dev/ttyUSB0"),
        ("serial:///dev/ttyUSB0?baudrate=fast", "baudrate must be an integer"),
        ("serial:///dev/ttyUSB0?baudrate=115201", "baudrate must be one of"),
        ("serial:///dev/ttyUSB0?baud=9600", r"unknown option\(s\) \['baud'\]"),
        ("serial:///dev/ttyUSB0?rtscts=maybe", "rtscts must be 1 or 0"),
        ("tcp://host:9100?timeout=0", "timeout must be a number from 0.05 to 60"),
        ("tcp://host:9100?timeout=soon", "timeout must be a number"),
        ("file://", "file:///absolute/path"),
        ("file://relative/path", "file:///absolute/path"),
        ("preview://host/dir", "preview:///directory"),
        ("dummy://?status=tired", "status must be one of"),
        ("dummy://?status", "malformed query"),
    ],
)
def test_bad_urls_raise_a_config_error_saying_what_is_wrong(url, message):
    with pytest.raises(PrinterConfigError, match=message) as caught:
        open_printer(url)
    assert isinstance(caught.value, PrinterError) and isinstance(caught.value, ValueError)
    assert caught.value.code == "config"


def test_the_timeout_defaults_to_the_callers_and_the_url_can_override_it():
    assert open_printer("tcp://host").timeout == 2.0
    assert open_printer("tcp://host", timeout=5).timeout == 5
    assert open_printer("tcp://host?timeout=0.5", timeout=5).timeout == 0.5


def test_serial_url_accepts_windows_port_names_and_flow_control():
    printer = open_printer("serial://COM3?baudrate=9600&rtscts=1")
    assert (printer.device, printer.baudrate, printer.rtscts) == ("COM3", 9600, True)


def test_scheme_is_case_insensitive_and_drivers_describe_their_target():
    printer = open_printer("TCP://10.0.0.5:9101")
    assert repr(printer) == "<NetworkDriver tcp://10.0.0.5:9101>"


def test_opening_a_printer_url_connects_to_nothing():
    printer = open_printer("tcp://192.0.2.1:9100")  # TEST-NET: would hang if contacted
    with printer:
        assert printer.host == "192.0.2.1"
