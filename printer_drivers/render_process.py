"""Rendering in a child process, so that the process serving requests never waits on it.

A ticket takes about 20 ms of CPU to render and encode as ESC/POS, and 1.5 ms more as
the PNG the preview printer keeps. Done in a thread
of the server, that CPU time holds the GIL, and every request and socket of the
process waits for it in slices of 5 ms. On PostgreSQL, where each query hands the
GIL back and forth, 8 kiosks with a server-driven printer then issued 25 tickets/s
(p99 587 ms) under gevent. One child process renders and encodes instead, on
another core; the caller waits on a pipe, which a greenlet yields and a thread
releases the GIL for.

The child reads requests on stdin and answers on stdout, each a 4-byte length and a
body. A request is JSON ``{"ticket": <TicketPrint data>, "paper": <dots>}``; an
answer is JSON ``{"size": [w, h]}`` followed by the mode '1' raster, the ESC/POS
job and the PNG, or ``{"error": message}``. The child exits when its stdin closes,
so it never outlives the process that started it.
"""

from __future__ import annotations

import contextlib
import json
import struct
import subprocess
import sys
import threading
from collections.abc import Mapping
from typing import IO, Any

from PIL import Image

from .encode import Rendered, encode_png, encode_ticket
from .errors import TicketRenderError
from .render import render_ticket
from .ticket import Paper, TicketPrint

_LENGTH = struct.Struct(">I")


class RenderProcess:
    """Renders tickets in one child process, started on first use and again if it dies."""

    def __init__(self) -> None:
        self._lock = threading.Lock()  # one request on the pipe at a time
        self._child: subprocess.Popen[bytes] | None = None

    def render(self, data: Mapping[str, Any], paper: Paper | int = Paper.MM80) -> Rendered:
        """``data`` (as the server sends print agents), ``paper`` dots wide, in every form.

        Raises :class:`TicketRenderError` for a ticket that cannot be rendered, and
        when the child fails twice in a row (it is restarted once: rendering has no
        side effects, so asking again is safe).
        """
        request = json.dumps({"ticket": data, "paper": int(paper)}).encode()
        with self._lock:
            for attempt in (1, 2):
                try:
                    header, parts = self._exchange(request)
                    break
                except (OSError, EOFError, ValueError) as error:
                    self._stop()
                    if attempt == 2:
                        raise TicketRenderError(f"the render process failed: {error}") from error
        if "error" in header:
            raise TicketRenderError(header["error"])
        raster, escpos, png = parts
        image = Image.frombytes("1", tuple(header["size"]), raster)
        return Rendered(image, escpos=escpos, png=png)

    def close(self) -> None:
        """Stop the child (it is started again by the next render)."""
        with self._lock:
            self._stop()

    def _exchange(self, request: bytes) -> tuple[dict[str, Any], list[bytes]]:
        child = self._started()
        assert child.stdin is not None and child.stdout is not None
        _send(child.stdin, request)
        header = json.loads(_receive(child.stdout))
        parts = [_receive(child.stdout) for _ in range(3)] if "size" in header else []
        return header, parts

    def _started(self) -> subprocess.Popen[bytes]:
        if self._child is not None and self._child.poll() is not None:
            self._stop()  # died since the last render: close its pipes
        if self._child is None:
            self._child = subprocess.Popen(
                [sys.executable, "-m", __name__],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
            )
        return self._child

    def _stop(self) -> None:
        child, self._child = self._child, None
        if child is None:
            return
        for pipe in (child.stdin, child.stdout):
            if pipe is not None:
                with contextlib.suppress(OSError):  # a dead child's pipe cannot be flushed
                    pipe.close()
        try:
            child.wait(timeout=5)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def _send(pipe: IO[bytes], *bodies: bytes) -> None:
    pipe.write(b"".join(_LENGTH.pack(len(body)) + body for body in bodies))
    pipe.flush()


def _receive(pipe: IO[bytes]) -> bytes:
    size = _LENGTH.unpack(_read_exactly(pipe, _LENGTH.size))[0]
    return _read_exactly(pipe, size)


def _read_exactly(pipe: IO[bytes], size: int) -> bytes:
    chunks, missing = [], size
    while missing:
        chunk = pipe.read(missing)
        if not chunk:
            raise EOFError("the render process closed its output")
        chunks.append(chunk)
        missing -= len(chunk)
    return b"".join(chunks)


def _answer(request: bytes) -> list[bytes]:
    try:
        body = json.loads(request)
        image = render_ticket(TicketPrint.from_data(body["ticket"]), int(body["paper"]))
    except (TicketRenderError, ValueError, KeyError, TypeError) as error:
        return [json.dumps({"error": f"{type(error).__name__}: {error}"}).encode()]
    header = json.dumps({"size": image.size}).encode()
    return [header, image.tobytes(), encode_ticket(image), encode_png(image)]


def main() -> None:
    """The child: answer requests until stdin closes."""
    while True:
        try:
            request = _receive(sys.stdin.buffer)
        except EOFError:
            return
        _send(sys.stdout.buffer, *_answer(request))


if __name__ == "__main__":
    main()
