"""Printers on USB, found by vendor and product id: usb://04b8:0e15 (needs pyusb + libusb)."""

from __future__ import annotations

import re
from typing import Any

from escpos.escpos import Escpos
from escpos.printer import Usb

from ..errors import (
    PrinterConfigError,
    PrinterDependencyMissing,
    PrinterError,
    PrinterNotFound,
    PrinterTimeout,
)
from .base import EscposDriver
from .url import PrinterUrl, require

_HINT = "USB printing needs the 'usb' extra: pip install 'nobat[usb]'"
_NO_BACKEND = "USB printing needs libusb-1.0 (e.g. apt install libusb-1.0-0) for pyusb"
_VID_PID = re.compile(r"^(?:0x)?([0-9a-f]{1,4}):(?:0x)?([0-9a-f]{1,4})$", re.IGNORECASE)


class _LazyUsb(Usb):
    """python-escpos Usb, with pyusb imported when used (it only checks at its own import)."""

    def open(self, raise_not_found: bool = True) -> None:
        core = require("usb.core", _HINT)
        vid, pid = self.usb_args["idVendor"], self.usb_args["idProduct"]
        try:
            device = core.find(idVendor=vid, idProduct=pid)
        except core.NoBackendError:
            raise PrinterDependencyMissing(_NO_BACKEND) from None
        if device is None:
            raise PrinterNotFound(
                f"usb://{vid:04x}:{pid:04x}: no such USB device; check the cable, the power "
                "and that this user may access it (udev rule)"
            )
        try:  # the kernel's usblp driver may hold the interface
            if device.is_kernel_driver_active(0):
                device.detach_kernel_driver(0)
        except (NotImplementedError, core.USBError):
            pass
        device.set_configuration()
        self.device = device

    def close(self) -> None:
        if self._device:
            require("usb.util", _HINT).dispose_resources(self._device)
        self._device = False


class UsbDriver(EscposDriver):
    """A USB printer class device; bulk endpoints default to the common 0x82 in, 0x01 out."""

    scheme = "usb"
    options = frozenset({"in_ep", "out_ep"})

    def __init__(
        self, vendor_id: int, product_id: int, *, in_ep: int = 0x82, out_ep: int = 0x01,
        **common: Any,
    ) -> None:  # fmt: skip
        """Ids as integers (0x04B8, 0x0E15); fails at once when pyusb is missing."""
        super().__init__(**common)
        require("usb.core", _HINT)
        self.vendor_id, self.product_id, self.in_ep, self.out_ep = (
            vendor_id, product_id, in_ep, out_ep,
        )  # fmt: skip

    @classmethod
    def from_url(cls, url: PrinterUrl) -> UsbDriver:
        """usb://VID:PID in hex, optionally ?in_ep=0x81&out_ep=0x02"""
        url.check_options(cls.options)
        match = _VID_PID.match(url.location)
        if not match or url.path not in ("", "/"):
            raise PrinterConfigError(
                f"{url.raw}: expected usb://VID:PID with hexadecimal ids, e.g. usb://04b8:0e15"
            )
        vid, pid = (int(part, 16) for part in match.groups())
        if not vid or not pid:
            raise PrinterConfigError(f"{url.raw}: vendor and product ids cannot be 0000")
        return cls(
            vid, pid, in_ep=url.integer("in_ep", 0x82, base=0),
            out_ep=url.integer("out_ep", 0x01, base=0), **url.common(),
        )  # fmt: skip

    @property
    def target(self) -> str:
        return f"usb://{self.vendor_id:04x}:{self.product_id:04x}"

    def _open(self) -> Escpos:
        printer = _LazyUsb(
            self.vendor_id, self.product_id, in_ep=self.in_ep, out_ep=self.out_ep,
            timeout=int(self.timeout * 1000),
        )  # fmt: skip
        printer.open()
        return printer

    def _write(self, printer: Escpos, payload: bytes) -> None:
        printer.timeout = int((self.timeout + len(payload) / 20_000) * 1000)  # pyusb takes ms
        printer._raw(payload)

    def _read_byte(self, printer: Escpos, timeout: float) -> int | None:
        core = require("usb.core", _HINT)
        try:
            data = printer.device.read(self.in_ep, 16, max(1, int(timeout * 1000)))
        except core.USBTimeoutError:
            return None
        return data[0] if len(data) else None

    def _map_error(self, exc: Exception) -> PrinterError | None:
        core = require("usb.core", _HINT)
        if isinstance(exc, core.USBTimeoutError):
            return PrinterTimeout(f"{self.target}: the printer stopped taking data")
        return super()._map_error(exc)  # other USBErrors are OSErrors: offline
