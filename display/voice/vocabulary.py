"""Every clip an announcement is made of, with the words it says, and numbers as clip names.

Clips are whole words or phrases, so that a number is at most three clips in Persian
(``صد و`` ``بیست و`` ``سه``: the connector "و" is said as an unstressed *-o* joined to
the word before it, so it is part of that word's clip) and three in English (``one
hundred``, ``twenty``, ``three``). Clip names are ASCII, the same in every language, and double as
file names: ``n7``, ``n20o`` (twenty-and), ``n100``, ``letter_b``, ``number``.
"""

from __future__ import annotations

from string import ascii_uppercase

#: Spoken languages, and the set of clips every language shares (the chime, silences).
LANGUAGES = ("fa", "en")
COMMON = "common"

MAX_NUMBER = 999

_FA_UNITS = (
    "صفر", "یک", "دو", "سه", "چهار", "پنج", "شش", "هفت", "هشت", "نُه",
    "ده", "یازده", "دوازده", "سیزده", "چهارده", "پانزده", "شانزده", "هفده", "هجده", "نوزده",
)  # fmt: skip
_FA_TENS = ("بیست", "سی", "چهل", "پنجاه", "شصت", "هفتاد", "هشتاد", "نود")
_FA_HUNDREDS = ("صد", "دویست", "سیصد", "چهارصد", "پانصد", "ششصد", "هفتصد", "هشتصد", "نهصد")
# Latin letters as Persians name them (ticket letters are Latin).
_FA_LETTERS = (
    "اِی", "بی", "سی", "دی", "ای", "اِف", "جی", "اِیچ", "آی", "جِی", "کِی", "اِل", "اِم",
    "اِن", "اُو", "پی", "کیو", "آر", "اِس", "تی", "یو", "وی", "دابلیو", "اِکس", "وای", "زِد",
)  # fmt: skip

_EN_UNITS = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
    "nineteen",
)  # fmt: skip
_EN_TENS = ("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")


def _numbers(
    units: tuple[str, ...], tens: tuple[str, ...], hundreds: tuple[str, ...], joined: str
) -> dict[str, str]:
    """Clip names of a language's number words; ``joined`` ends the forms said before another
    part of the number ("n20o": "بیست و"), when the language joins them so."""
    words = {f"n{n}": word for n, word in enumerate(units)}
    for index, word in enumerate(tens):
        words[f"n{(index + 2) * 10}"] = word
        if joined:
            words[f"n{(index + 2) * 10}o"] = word + joined
    for index, word in enumerate(hundreds):
        words[f"n{(index + 1) * 100}"] = word
        if joined:
            words[f"n{(index + 1) * 100}o"] = word + joined
    return words


#: clip set -> clip name -> what the clip says (what an office's own recording should say).
WORDS: dict[str, dict[str, str]] = {
    "fa": {
        "number": "شمارهٔ",
        "to_counter": "به باجهٔ",
        "please_go": "مراجعه کنید",
        **{f"letter_{c.lower()}": w for c, w in zip(ascii_uppercase, _FA_LETTERS, strict=True)},
        **_numbers(_FA_UNITS, _FA_TENS, _FA_HUNDREDS, joined=" و"),
    },
    "en": {
        "number": "Number",
        "to_counter": "please go to counter",
        **{f"letter_{c.lower()}": c for c in ascii_uppercase},
        **_numbers(_EN_UNITS, _EN_TENS, tuple(f"{u} hundred" for u in _EN_UNITS[1:10]), joined=""),
    },
    COMMON: {
        "chime": "a two-tone ding",
        "pause": "a short silence, between a sentence's parts",
        "gap": "a longer silence, between two languages",
    },
}


def is_clip(clip_set: str, name: str) -> bool:
    """Whether ``name`` is a clip of ``clip_set`` (names from a URL are checked with this)."""
    return name in WORDS.get(clip_set, {})


def number_clips(language: str, n: int) -> list[str]:
    """The clip names that say ``n`` (0–999) in ``language``."""
    if not 0 <= n <= MAX_NUMBER:
        raise ValueError(f"{n} is not between 0 and {MAX_NUMBER}")
    if n < 20:
        return [f"n{n}"]
    hundreds, rest = divmod(n, 100)
    tens, units = divmod(rest, 10) if rest >= 20 else (0, rest)
    parts = [p for p in (hundreds * 100, tens * 10, units) if p]
    # Persian joins every part but the last with "-o": "صد و بیست و سه".
    suffix = "o" if language == "fa" else ""
    return [f"n{p}{suffix}" for p in parts[:-1]] + [f"n{parts[-1]}"]


def letter_clips(letters: str) -> list[str]:
    """The clip names that say a service's letters (``B``, ``AB``), one clip a letter."""
    return [f"letter_{c.lower()}" for c in letters]
