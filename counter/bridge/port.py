"""Serial ports that come and go: a USB-serial adapter is unplugged and plugged back.

Every device has a thread of its own (``DeviceWorker``) that opens its port, serves it,
and on any port error closes it and tries again every second. The configured path may be
a symlink (``/dev/serial/by-id/...``): when it stops naming the device that is open (the
adapter was unplugged, or plugged back as another ``/dev/ttyUSB*``), the port counts as
lost even before a read or write fails.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading

import serial

from counter.bridge.settings import SerialSettings

log = logging.getLogger("nobat.bridge")

RETRY = 1.0  # seconds between attempts to open a port, and between checks of an open one


class PortError(Exception):
    """The port cannot be opened, or failed while open: close it and open it again."""


def moved(path: str, fd: int) -> bool:
    """Whether ``path`` no longer names the device open as ``fd`` (unplugged or replugged)."""
    if not os.path.isabs(path):  # COM3 and the like: only a failing read or write tells
        return False
    try:
        now, then = os.stat(path), os.fstat(fd)
    except OSError:
        return True
    return (now.st_dev, now.st_ino, now.st_rdev) != (then.st_dev, then.st_ino, then.st_rdev)


class SerialPort:
    """One device's serial line, opened by path each time (the path may now be another node)."""

    def __init__(self, settings: SerialSettings) -> None:
        self.settings = settings
        self.device: serial.Serial | None = None

    @property
    def is_open(self) -> bool:
        return self.device is not None

    def open(self) -> None:
        """Open the port; what a device sent while nobody listened is dropped, never replayed."""
        s = self.settings
        if os.path.isabs(s.port) and not os.path.exists(s.port):
            raise PortError("no such device (unplugged?)")
        try:
            self.device = serial.Serial(
                s.port, baudrate=s.baudrate, bytesize=s.bytesize, parity=s.parity,
                stopbits=s.stopbits, timeout=0.1, write_timeout=1.0, exclusive=True,
            )  # fmt: skip
            self.device.reset_input_buffer()
        except (serial.SerialException, OSError, ValueError) as error:
            self.close()
            raise PortError(_reason(error)) from None

    def close(self) -> None:
        if self.device is not None:
            with contextlib.suppress(serial.SerialException, OSError):  # it is gone already
                self.device.close()
            self.device = None

    def read(self) -> bytes:
        """What has arrived, waiting at most 0.1 s for the first byte (b"" when nothing)."""
        device = self._open_device()
        try:
            data = device.read(1)
            return data + device.read(device.in_waiting) if data else data
        except (serial.SerialException, OSError) as error:
            raise PortError(_reason(error)) from None

    def write(self, data: bytes) -> None:
        device = self._open_device()
        try:
            device.write(data)
        except (serial.SerialException, OSError) as error:
            raise PortError(_reason(error)) from None

    def moved(self) -> bool:
        """Whether the configured path now names another device, or none."""
        return self.device is not None and moved(self.settings.port, self.device.fileno())

    def _open_device(self) -> serial.Serial:
        if self.device is None:
            raise PortError("the port is closed")
        return self.device


class DeviceWorker(threading.Thread):
    """A device's thread: open its port (every second until that works), serve it, reopen."""

    def __init__(self, name: str, where: str, stopping: threading.Event) -> None:
        super().__init__(name=f"nobat-bridge-{name}", daemon=True)
        self.label, self.where, self.stopping = name, where, stopping
        self._down = False  # an outage is logged once, not at every attempt

    def run(self) -> None:
        """Until the bridge stops; a port error costs a reopen, never the thread."""
        while not self.stopping.is_set():
            try:
                self.connect()
            except PortError as error:
                if not self._down:
                    log.warning("%s: cannot open %s: %s; trying every second", *self._me(), error)
                    self._down = True
                self.stopping.wait(RETRY)
                continue
            log.info("%s: opened %s", *self._me())
            self._down = False
            try:
                while not self.stopping.is_set():
                    self.serve()
            except PortError as error:
                log.warning("%s: lost %s: %s", *self._me(), error)
                self._down = True
            finally:
                self.disconnect()

    def connect(self) -> None:
        """Open the device (raise PortError when it cannot be)."""
        raise NotImplementedError

    def serve(self) -> None:
        """One round of work, at most about a second long (raise PortError when the port fails)."""
        raise NotImplementedError

    def disconnect(self) -> None:
        """Close the device; called after every connect, also when the port failed."""
        raise NotImplementedError

    def _me(self) -> tuple[str, str]:
        return self.label, self.where


def _reason(error: BaseException) -> str:
    return str(error) or type(error).__name__
