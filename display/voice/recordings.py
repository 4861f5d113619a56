"""Which file says a clip for an office: its own recording when usable, else the generated one.

An office drops recordings into ``<instance>/voice/<office code>/<set>/<clip>.wav`` (or
``.mp3``, ``.ogg``). A file that is empty or does not decode as its kind falls back to the
generated clip and is logged once; the check is remembered until the file changes.
"""

from __future__ import annotations

import hashlib
import logging
import wave
from dataclasses import dataclass
from pathlib import Path

from display.voice import synth
from display.voice.announce import Clip

log = logging.getLogger(__name__)

#: Recording formats an office may use, by extension, in the order they are looked for.
MIMETYPES = {".wav": "audio/wav", ".mp3": "audio/mpeg", ".ogg": "audio/ogg"}

_checked: dict[Path, tuple[tuple[int, int], bool]] = {}


@dataclass(frozen=True)
class Source:
    """The file to send for a clip, its type, and a version that changes with its content."""

    path: Path
    mimetype: str
    version: str


def source(
    recordings: Path, office: str, clip: Clip, generated: Path = synth.GENERATED
) -> Source | None:
    """The office's usable recording of ``clip``, else the generated clip, else None."""
    for extension, mimetype in MIMETYPES.items():
        path = recordings / office / clip.set / f"{clip.name}{extension}"
        stamp = _usable(path)
        if stamp is not None:
            mtime, size = stamp
            version = hashlib.sha256(f"{mtime}:{size}".encode()).hexdigest()[:12]
            return Source(path, mimetype, f"r{version}")
    path = generated / clip.set / f"{clip.name}.wav"
    version = synth.versions(generated).get(f"{clip.set}/{clip.name}")
    if version is None or not path.is_file():
        return None
    return Source(path, MIMETYPES[".wav"], version)


def _usable(path: Path) -> tuple[int, int] | None:
    """The file's (mtime, size) if it exists and decodes; checked once per change."""
    try:
        status = path.stat()
    except OSError:
        return None
    stamp = (status.st_mtime_ns, status.st_size)
    known = _checked.get(path)
    if known is None or known[0] != stamp:
        problem = _problem(path) if status.st_size else "it is empty"
        if problem:
            log.warning("office recording %s is not used: %s", path, problem)
        known = _checked[path] = (stamp, problem is None)
    return stamp if known[1] else None


def _problem(path: Path) -> str | None:
    """Why the recording cannot be played, or None if it looks sound."""
    try:
        if path.suffix == ".wav":
            with wave.open(str(path)) as audio:
                if audio.getnframes() == 0 or not audio.readframes(1):
                    return "it has no audio"
            return None
        with path.open("rb") as file:
            head = file.read(4)
    except (OSError, EOFError, wave.Error) as error:
        return f"it does not decode ({error})"
    if path.suffix == ".ogg":
        return None if head == b"OggS" else "it is not an Ogg file"
    # MP3: an ID3 tag, or straight away an MPEG audio frame (11 sync bits).
    if head[:3] == b"ID3" or (len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return None
    return "it is not an MP3 file"
