"""Drivers without a real printer: in-memory (tests), a file or device node, PNG preview."""

from __future__ import annotations

import contextlib
import os
import re
import time
from datetime import datetime, timedelta
from itertools import count
from pathlib import Path
from typing import Any

from escpos.escpos import Escpos
from escpos.printer import Dummy, File
from PIL import Image

from ..encode import Rendered
from ..errors import PrinterConfigError, PrinterOffline
from ..status import PrinterStatus
from .base import Driver, EscposDriver
from .url import PrinterUrl


class DummyDriver(EscposDriver):
    """Keeps every job's bytes in memory; its status is whatever the test sets."""

    scheme = "dummy"
    options = frozenset({"status"})

    def __init__(self, *, simulated: PrinterStatus = PrinterStatus.PAPER_OK, **common: Any) -> None:
        """``simulated`` is what status() reports (and what print_ticket obeys)."""
        super().__init__(**common)
        self.simulated = simulated
        self.jobs: list[bytes] = []
        self._printer = Dummy()

    @classmethod
    def from_url(cls, url: PrinterUrl) -> DummyDriver:
        """dummy://?status=paper_out"""
        url.check_options(cls.options)
        try:
            simulated = PrinterStatus(url.options.get("status", PrinterStatus.PAPER_OK))
        except ValueError:
            names = ", ".join(s.value for s in PrinterStatus)
            raise PrinterConfigError(f"{url.raw}: status must be one of {names}") from None
        return cls(simulated=simulated, **url.common())

    @property
    def target(self) -> str:
        return "dummy://"

    @property
    def output(self) -> bytes:
        """Every byte sent so far."""
        return self._printer.output

    def _open(self) -> Escpos:
        return self._printer

    def _close(self, printer: Escpos) -> None:
        pass  # the recorder lives as long as the driver

    def _write(self, printer: Escpos, payload: bytes) -> None:
        self.jobs.append(payload)
        printer._raw(payload)

    def _query_status(self, printer: Escpos) -> PrinterStatus:
        return self.simulated


class FileDriver(EscposDriver):
    """Writes each job to a path: a device node (/dev/usb/lp0) or a file holding the last job."""

    scheme = "file"

    def __init__(self, path: str | os.PathLike[str], **common: Any) -> None:
        """The path is opened per job, so a replugged device node is picked up again."""
        super().__init__(**common)
        self.path = Path(path)

    @classmethod
    def from_url(cls, url: PrinterUrl) -> FileDriver:
        """file:///dev/usb/lp0"""
        url.check_options(cls.options)
        if url.location or not url.path or url.path.endswith("/"):
            raise PrinterConfigError(f"{url.raw}: expected file:///absolute/path/to/file")
        return cls(url.path, **url.common())

    @property
    def target(self) -> str:
        return f"file://{self.path}"

    def _open(self) -> Escpos:
        printer = File(str(self.path))
        printer.open()
        return printer

    def _query_status(self, printer: Escpos) -> PrinterStatus:
        return PrinterStatus.ONLINE  # it opened; a plain file cannot say more

    def status(self) -> PrinterStatus:
        """ONLINE when the path can be written (without truncating it), else OFFLINE."""
        writable = self.path if self.path.exists() else self.path.parent
        return PrinterStatus.ONLINE if os.access(writable, os.W_OK) else PrinterStatus.OFFLINE


# A preview file's name: when it was written, a sequence number, the job's name.
_PREVIEW_NAME = re.compile(r"\d{8}-\d{6}-\d{6}-\d{4}-[A-Za-z0-9_.-]+\.(bin|png)")
# When each directory's old previews were last looked for (time.monotonic()).
_last_pruned: dict[Path, float] = {}


class PreviewDriver(Driver):
    """The embedded default: each ticket becomes a PNG (for the kiosk screen) and its bytes.

    Previews are needed for minutes (the kiosk shows the ticket, its status page links
    to it), but an office writes two files per ticket, some 700,000 a year: once an hour,
    printing deletes the directory's previews older than ``KEEP``.
    """

    scheme = "preview"
    KEEP = timedelta(days=2)
    PRUNE_EVERY = 3600.0  # seconds

    def __init__(self, directory: str | os.PathLike[str], **common: Any) -> None:
        """Files go to ``directory``, created on first use."""
        super().__init__(**common)
        self.directory = Path(directory)
        self.last_png: Path | None = None
        self.last_bin: Path | None = None
        self._sequence = count(1)

    @classmethod
    def from_url(cls, url: PrinterUrl) -> PreviewDriver:
        """preview:// (the caller's default directory) or preview:///some/dir"""
        url.check_options(cls.options)
        if url.location:
            raise PrinterConfigError(f"{url.raw}: expected preview:// or preview:///directory")
        directory = Path(url.path) if url.path not in ("", "/") else url.preview_dir
        if directory is None:
            raise PrinterConfigError(
                f"{url.raw}: no directory; use preview:///dir or pass preview_dir to open_printer"
            )
        return cls(directory, **url.common())

    @property
    def target(self) -> str:
        return f"preview://{self.directory}"

    def print_ticket(
        self, ticket: Image.Image | Rendered, *, job_name: str = "nobat-ticket"
    ) -> None:
        """Write <stem>.png and <stem>.bin; ``last_png`` tells the kiosk what to show."""
        rendered = Rendered.of(ticket)
        self.send(rendered.escpos, job_name=job_name)
        assert self.last_bin is not None
        self.last_png = self._write(self.last_bin.with_suffix(".png"), rendered.png)
        now = time.monotonic()
        if now - _last_pruned.get(self.directory, -self.PRUNE_EVERY) >= self.PRUNE_EVERY:
            _last_pruned[self.directory] = now
            self.prune()

    def prune(self) -> int:
        """Delete this directory's previews older than ``KEEP`` (nothing else); how many."""
        oldest = time.time() - self.KEEP.total_seconds()
        removed = 0
        with os.scandir(self.directory) as entries:
            for entry in entries:
                if not _PREVIEW_NAME.fullmatch(entry.name):
                    continue
                with contextlib.suppress(OSError):  # gone already, or not ours to delete
                    if entry.stat().st_mtime < oldest:
                        os.unlink(entry.path)
                        removed += 1
        return removed

    def send(self, payload: bytes, *, job_name: str = "nobat-ticket") -> None:
        """Write the raw ESC/POS job next to where its preview goes."""
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", job_name).strip("._") or "ticket"
        path = self.directory / f"{stamp}-{next(self._sequence):04d}-{safe}.bin"
        self.last_bin = self._write(path, payload)

    def _write(self, path: Path, payload: bytes) -> Path:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            path.write_bytes(payload)
        except OSError as exc:
            raise PrinterOffline(f"{self.target}: cannot write the preview ({exc})") from exc
        return path

    def status(self) -> PrinterStatus:
        """A writable (or creatable) directory never runs out of paper."""
        probe = self.directory
        while not probe.exists() and probe != probe.parent:
            probe = probe.parent
        usable = probe.is_dir() and os.access(probe, os.W_OK | os.X_OK)
        return PrinterStatus.PAPER_OK if usable else PrinterStatus.OFFLINE
