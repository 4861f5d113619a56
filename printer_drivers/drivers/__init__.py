"""Printer drivers chosen by URL scheme: one registry, one lookup function."""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import PrinterConfigError
from .base import Driver, EscposDriver
from .cups import CupsDriver
from .local import DummyDriver, FileDriver, PreviewDriver
from .network import NetworkDriver
from .serial import SerialDriver
from .url import DEFAULT_TIMEOUT, PrinterUrl
from .usb import UsbDriver

DRIVERS: dict[str, type[Driver]] = {
    driver.scheme: driver
    for driver in (
        UsbDriver, SerialDriver, NetworkDriver, CupsDriver, FileDriver, PreviewDriver, DummyDriver
    )
}  # fmt: skip


def open_printer(
    url: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    preview_dir: str | os.PathLike[str] | None = None,
) -> Driver:
    """The driver for a printer URL; nothing is connected until the first job or status().

    ``timeout`` is the default wait for the printer (a URL's ?timeout= wins);
    ``preview_dir`` is where a bare ``preview://`` writes (e.g. the instance folder).
    """
    parsed = PrinterUrl.parse(
        url, default_timeout=timeout, preview_dir=Path(preview_dir) if preview_dir else None
    )
    driver = DRIVERS.get(parsed.scheme)
    if driver is None:
        known = ", ".join(f"{scheme}://" for scheme in DRIVERS)
        raise PrinterConfigError(f"unknown printer scheme in {url!r}; use one of {known}")
    return driver.from_url(parsed)


__all__ = [
    "DRIVERS",
    "CupsDriver",
    "Driver",
    "DummyDriver",
    "EscposDriver",
    "FileDriver",
    "NetworkDriver",
    "PreviewDriver",
    "SerialDriver",
    "UsbDriver",
    "open_printer",
]
