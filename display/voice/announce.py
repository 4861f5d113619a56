"""An announcement as the ordered clips that say it: the chime once, then each language's
sentence, e.g. "شمارهٔ بی هفت، به باجهٔ سه مراجعه کنید" and "Number B seven, please go to
counter three"."""

from __future__ import annotations

import re
from dataclasses import dataclass

from display.voice.vocabulary import COMMON, LANGUAGES, MAX_NUMBER, letter_clips, number_clips

# A service's letters (one, perhaps two in future) and the day's sequence: "B-007", "AB-012".
TICKET_NUMBER = re.compile(r"([A-Z]{1,2})-([0-9]{1,3})")


@dataclass(frozen=True)
class Clip:
    """One clip of a set: a language's (``fa``, ``en``) or the shared one (``common``)."""

    set: str
    name: str


def announcement(number: str, counter: int, languages: list[str]) -> list[Clip]:
    """The clips that announce ticket ``number`` at counter ``counter``, in ``languages`` order."""
    match = TICKET_NUMBER.fullmatch(number)
    if match is None:
        raise ValueError(f"{number!r} is not a ticket number like B-007")
    if not 1 <= counter <= MAX_NUMBER:
        raise ValueError(f"counter {counter} is not between 1 and {MAX_NUMBER}")
    unknown = set(languages) - set(LANGUAGES)
    if unknown:
        raise ValueError(f"no voice for {sorted(unknown)}")
    letters, sequence = match.group(1), int(match.group(2))
    clips = [Clip(COMMON, "chime")]
    for index, language in enumerate(languages):
        if index:
            clips.append(Clip(COMMON, "gap"))
        clips += sentence(language, letters, sequence, counter)
    return clips


def sentence(language: str, letters: str, sequence: int, counter: int) -> list[Clip]:
    """One language's sentence; a short pause stands for the comma after the ticket's number."""
    words = [
        "number",
        *letter_clips(letters),
        *number_clips(language, sequence),
        None,
        "to_counter",
        *number_clips(language, counter),
    ]
    if language == "fa":
        words.append("please_go")  # the verb last, as Persian puts it
    return [Clip(language, w) if w else Clip(COMMON, "pause") for w in words]
