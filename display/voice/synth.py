"""Generating the clips at set-up, offline: espeak-ng speaks the words, sox makes the chime and
the silences, trims each clip and evens its level.

``build`` is idempotent: a manifest keeps a hash of what made each clip (its words, the
engine's options and version), so a run regenerates only clips that are missing or whose
recipe changed, and removes clips no longer in the vocabulary. Clips are WAV, mono,
22,050 Hz, 16-bit: what espeak-ng speaks natively, small, and decoded by every browser.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from display.voice.vocabulary import COMMON, WORDS

GENERATED = Path(__file__).resolve().parent / "generated"
MANIFEST = "manifest.json"
# Read by every request for a clip: kept until the manifest changes.
_versions: dict[Path, tuple[int, dict[str, str]]] = {}
RATE = 22050
FORMAT = ["-r", str(RATE), "-c", "1", "-b", "16"]
# Trim the silence at both ends and ease the edges (no click between clips; the end is faded
# while reversed, since a fade-out needs a length the silence effect leaves unknown), then
# level the peak.
TIDY = ["silence", "1", "0.01", "-45d", "reverse", "silence", "1", "0.01", "-45d"]
TIDY += ["fade", "t", "0.015", "reverse", "fade", "t", "0.005", "norm", "-3", "pad", "0", "0.03"]


class VoiceBuildError(RuntimeError):
    """The clips could not be generated (a tool is missing or failed)."""


@dataclass(frozen=True)
class Espeak:
    """An espeak-ng voice with its options, and the spellings it needs to say words right."""

    voice: str
    speed: int  # words per minute: a little slower than espeak-ng's 175, for a noisy hall
    pitch: int  # 0–99, espeak-ng's default 50
    #: clip name -> text to feed espeak-ng instead of the word (it misreads a few)
    spellings: dict[str, str] = field(default_factory=dict)
    #: clips that end a sentence: said with a falling tone, the others as a phrase going on
    final: frozenset[str] = frozenset()
    #: a word's ending as written, and as espeak-ng must read it
    ending: tuple[str, str] = ("", "")

    def command(self, name: str, words: str, out: str) -> list[str]:
        text = self.spellings.get(name, words)
        written, read = self.ending
        if written and text.endswith(written):
            text = text[: -len(written)] + read
        text += "." if name in self.final else ","
        args = ["-v", self.voice, "-s", str(self.speed), "-p", str(self.pitch)]
        return ["espeak-ng", *args, "-w", out, text]


#: The voice of each language (one registry: a better engine would be one more entry).
VOICES: dict[str, Espeak] = {
    "fa": Espeak(
        voice="fa",
        speed=140,
        pitch=45,
        # Persian script leaves out short vowels: espeak-ng reads دی, پی, وی as "dey", "pey",
        # "vey" and او as "u"; these say the Latin letter names "di", "pi", "vi" and "ow".
        spellings={
            "letter_d": "دیی",
            "letter_p": "پیی",
            "letter_v": "ویی",
            "letter_o": "[[ow]]",
        },
        final=frozenset({"please_go"}),
        # "صد و" read as written is "sad va"; Persians say "sado": a damma on the word.
        ending=(" و", "ُ"),
    ),
    "en": Espeak(voice="en-us", speed=150, pitch=45),
}

#: The shared clips, made by sox: a two-tone chime (E5 then C5, each with its octave, fading
#: like a struck bell) and the silences between a sentence's parts and between languages.
SOX_CLIPS: dict[str, list[list[str]]] = {
    "chime": [
        ["synth", "0.45", "sine", "659.25", "synth", "0.45", "sine", "mix", "1318.5"],
        ["fade", "h", "0.005", "0.45", "0.42"],
        ["synth", "0.85", "sine", "523.25", "synth", "0.85", "sine", "mix", "1046.5"],
        ["fade", "h", "0.005", "0.85", "0.8"],
    ],
    "pause": [["trim", "0", "0.2"]],
    "gap": [["trim", "0", "0.6"]],
}


def voice_for(language: str) -> Espeak:
    """The voice that speaks ``language``."""
    return VOICES[language]


@dataclass
class BuildReport:
    made: list[str] = field(default_factory=list)
    kept: int = 0
    removed: list[str] = field(default_factory=list)


def build(dest: Path = GENERATED, *, force: bool = False, workers: int = 2) -> BuildReport:
    """Generate every clip into ``dest/<set>/<name>.wav`` that is missing or out of date."""
    for tool in ("espeak-ng", "sox"):
        if shutil.which(tool) is None:
            raise VoiceBuildError(
                f"{tool} is not installed: run scripts/system-deps.sh voice "
                "(Debian packages espeak-ng and sox)"
            )
    dest.mkdir(parents=True, exist_ok=True)
    with _locked(dest):
        recipes = _recipes()
        tools = _tool_versions()
        wanted = {key: _digest(tools, recipe) for key, recipe in recipes.items()}
        had = {} if force else _read_manifest(dest)
        todo = [
            key
            for key in recipes
            if had.get(key) != wanted[key] or not (dest / f"{key}.wav").is_file()
        ]
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(lambda key: _make(dest, key, recipes[key]), todo))
        removed = _remove_unknown(dest, recipes)
        _write_atomically(dest / MANIFEST, json.dumps(wanted, indent=1, sort_keys=True))
    return BuildReport(made=todo, kept=len(recipes) - len(todo), removed=removed)


def versions(dest: Path = GENERATED) -> dict[str, str]:
    """Each generated clip's version (``set/name`` -> a short hash of its recipe)."""
    try:
        stamp = (dest / MANIFEST).stat().st_mtime_ns
    except OSError:
        return {}
    known = _versions.get(dest)
    if known is None or known[0] != stamp:
        digests = _read_manifest(dest)
        known = _versions[dest] = (stamp, {key: d[:12] for key, d in digests.items()})
    return known[1]


def _recipes() -> dict[str, list[list[str]]]:
    """``set/name`` -> the commands that make it (``RAW``, ``OUT``: the files they write)."""
    recipes = {
        f"{COMMON}/{name}": [["sox", "-n", *FORMAT, "OUT", *(a for step in steps for a in step)]]
        for name, steps in SOX_CLIPS.items()
    }
    for language, words in WORDS.items():
        if language == COMMON:
            continue
        voice = voice_for(language)
        for name, text in words.items():
            recipes[f"{language}/{name}"] = [
                voice.command(name, text, "RAW"),
                ["sox", "RAW", *FORMAT, "OUT", *TIDY],
            ]
    return recipes


def _tool_versions() -> list[str]:
    """A new espeak-ng or sox may sound different: their versions are part of every recipe."""
    commands = (["espeak-ng", "--version"], ["sox", "--version"])
    return [subprocess.run(c, capture_output=True, text=True).stdout.strip() for c in commands]


def _digest(tools: list[str], recipe: list[list[str]]) -> str:
    return hashlib.sha256(json.dumps([tools, recipe], ensure_ascii=False).encode()).hexdigest()


def _make(dest: Path, key: str, recipe: list[list[str]]) -> None:
    out = dest / f"{key}.wav"
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest) as work:
        raw, made = Path(work) / "raw.wav", Path(work) / "out.wav"
        for step in recipe:
            args = [str(raw) if a == "RAW" else str(made) if a == "OUT" else a for a in step]
            result = subprocess.run(args, capture_output=True, text=True)
            if result.returncode != 0:
                raise VoiceBuildError(f"{key}: {' '.join(args)}: {result.stderr.strip()}")
        if not made.is_file() or made.stat().st_size <= 44:
            raise VoiceBuildError(f"{key}: no audio came out")
        os.replace(made, out)


def _remove_unknown(dest: Path, recipes: dict[str, list[list[str]]]) -> list[str]:
    removed = []
    for path in sorted(dest.glob("*/*.wav")):
        key = f"{path.parent.name}/{path.stem}"
        if key not in recipes:
            path.unlink()
            removed.append(key)
    return removed


def _read_manifest(dest: Path) -> dict[str, str]:
    try:
        return json.loads((dest / MANIFEST).read_text())
    except (OSError, ValueError):
        return {}


def _write_atomically(path: Path, text: str) -> None:
    temporary = path.with_suffix(".tmp")
    temporary.write_text(text)
    os.replace(temporary, path)


@contextmanager
def _locked(dest: Path) -> Iterator[None]:
    """One build at a time: test workers and ``make`` may start one together."""
    with open(dest / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield
