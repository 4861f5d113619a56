"""Printers behind a CUPS queue, sent as raw jobs: cups://QUEUE (needs pycups).

pycups is used directly rather than python-escpos's CupsPrinter: that class decides at
import time whether pycups exists and holds a temporary file per instance, while a job
here is already complete ESC/POS bytes.
"""

from __future__ import annotations

import tempfile
from typing import Any

from ..errors import PrinterNotFound, PrinterOffline
from ..status import PrinterStatus
from .base import Driver
from .url import PrinterUrl, require

_HINT = "CUPS printing needs pycups: apt install libcups2-dev, then pip install pycups"
_IDLE, _PROCESSING, _STOPPED = 3, 4, 5  # IPP printer-state values


class CupsDriver(Driver):
    """A CUPS queue (set up as a raw queue); status comes from the queue, not the paper."""

    scheme = "cups"
    options = frozenset({"host", "port"})

    def __init__(
        self, queue: str = "", *, host: str | None = None, port: int | None = None, **common: Any
    ) -> None:
        """``queue`` empty means the server's default destination."""
        super().__init__(**common)
        self.cups = require("cups", _HINT)
        self.queue, self.host, self.port = queue, host, port

    @classmethod
    def from_url(cls, url: PrinterUrl) -> CupsDriver:
        """cups://QUEUE, cups:// (default queue), options ?host=printserver&port=631"""
        url.check_options(cls.options)
        return cls(
            url.location, host=url.options.get("host"),
            port=url.integer("port", 0) or None, **url.common(),
        )  # fmt: skip

    @property
    def target(self) -> str:
        return f"cups://{self.queue}"

    def _connect(self) -> tuple[Any, str]:
        """A connection and the queue name, or PrinterOffline/PrinterNotFound."""
        kwargs = {k: v for k, v in (("host", self.host), ("port", self.port)) if v}
        try:
            connection = self.cups.Connection(**kwargs)
            queue = self.queue or connection.getDefault() or ""
            known = connection.getPrinters()
        except (RuntimeError, self.cups.IPPError) as exc:
            raise PrinterOffline(f"{self.target}: CUPS server unreachable ({exc})") from exc
        if queue not in known:
            raise PrinterNotFound(f"{self.target}: no such CUPS queue (have: {sorted(known)})")
        return connection, queue

    def status(self) -> PrinterStatus:
        """ONLINE when the queue accepts jobs, OFFLINE when stopped, missing or unreachable."""
        try:
            return self._state(*self._connect())
        except PrinterOffline:
            return PrinterStatus.OFFLINE

    def send(self, payload: bytes, *, job_name: str = "nobat-ticket") -> None:
        """Submit the bytes as one raw job."""
        connection, queue = self._connect()
        if self.check_status:
            self.raise_for_status(self._state(connection, queue))
        with tempfile.NamedTemporaryFile(suffix=".bin") as job:
            job.write(payload)
            job.flush()
            try:
                connection.printFile(queue, job.name, job_name, {"raw": "true"})
            except self.cups.IPPError as exc:
                raise PrinterOffline(f"{self.target}: CUPS refused the job ({exc})") from exc

    def _state(self, connection: Any, queue: str) -> PrinterStatus:
        state = connection.getPrinters()[queue].get("printer-state")
        if state in (_IDLE, _PROCESSING):
            return PrinterStatus.ONLINE
        return PrinterStatus.OFFLINE if state == _STOPPED else PrinterStatus.UNKNOWN
