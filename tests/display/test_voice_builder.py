"""The announcement builder: which clips, in which order, say a call in Persian and English."""

from __future__ import annotations

import re
from string import ascii_uppercase

import pytest

from display.voice.announce import Clip, announcement
from display.voice.vocabulary import WORDS, letter_clips, number_clips

# Persian numbers written out independently of the code: the words and the one rule that
# every part is joined to the next by "و".
FA_UNITS = (
    "صفر", "یک", "دو", "سه", "چهار", "پنج", "شش", "هفت", "هشت", "نه",
    "ده", "یازده", "دوازده", "سیزده", "چهارده", "پانزده", "شانزده", "هفده", "هجده", "نوزده",
)  # fmt: skip
FA_TENS = ("", "", "بیست", "سی", "چهل", "پنجاه", "شصت", "هفتاد", "هشتاد", "نود")
FA_HUNDREDS = ("", "صد", "دویست", "سیصد", "چهارصد", "پانصد", "ششصد", "هفتصد", "هشتصد", "نهصد")
EN_UNITS = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
    "nineteen",
)  # fmt: skip
EN_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")

HAND_WRITTEN = {
    0: ("صفر", "zero"),
    7: ("هفت", "seven"),
    12: ("دوازده", "twelve"),
    20: ("بیست", "twenty"),
    21: ("بیست و یک", "twenty one"),
    100: ("صد", "one hundred"),
    105: ("صد و پنج", "one hundred five"),
    110: ("صد و ده", "one hundred ten"),
    123: ("صد و بیست و سه", "one hundred twenty three"),
    200: ("دویست", "two hundred"),
    340: ("سیصد و چهل", "three hundred forty"),
    999: ("نهصد و نود و نه", "nine hundred ninety nine"),
}

# Short vowel marks (a damma guides the speech engine) do not change the word.
MARKS = re.compile("[\u064b-\u0652]")


def persian(n: int) -> str:
    if n < 20:
        return FA_UNITS[n]
    hundreds, rest = divmod(n, 100)
    parts = [FA_HUNDREDS[hundreds]] if hundreds else []
    if rest >= 20:
        parts.append(FA_TENS[rest // 10])
        if rest % 10:
            parts.append(FA_UNITS[rest % 10])
    elif rest:
        parts.append(FA_UNITS[rest])
    return " و ".join(parts)


def english(n: int) -> str:
    if n < 20:
        return EN_UNITS[n]
    hundreds, rest = divmod(n, 100)
    parts = [f"{EN_UNITS[hundreds]} hundred"] if hundreds else []
    if rest >= 20:
        parts.append(EN_TENS[rest // 10])
        if rest % 10:
            parts.append(EN_UNITS[rest % 10])
    elif rest:
        parts.append(EN_UNITS[rest])
    return " ".join(parts)


def said(language: str, clips: list[str]) -> str:
    return MARKS.sub("", " ".join(WORDS[language][name] for name in clips))


def test_the_independent_renderings_agree_with_the_hand_written_numbers():
    for n, (fa, en) in HAND_WRITTEN.items():
        assert persian(n) == fa and english(n) == en


def test_every_number_from_0_to_999_is_said_as_words_in_both_languages():
    wrong = [
        (n, language, said(language, number_clips(language, n)))
        for n in range(1000)
        for language, words in (("fa", persian(n)), ("en", english(n)))
        if said(language, number_clips(language, n)) != words
    ]
    assert wrong == []


def test_a_persian_number_is_at_most_three_clips_each_a_whole_word():
    assert number_clips("fa", 123) == ["n100o", "n20o", "n3"]
    assert max(len(number_clips("fa", n)) for n in range(1000)) == 3


def test_a_leading_zero_is_not_spoken():
    clips = announcement("B-007", 3, ["en"])
    assert [c.name for c in clips if c.set == "en"][:3] == ["number", "letter_b", "n7"]


@pytest.mark.parametrize("letter", ascii_uppercase)
def test_every_service_letter_has_its_clip(letter):
    assert letter_clips(letter) == [f"letter_{letter.lower()}"]
    assert all(f"letter_{letter.lower()}" in WORDS[language] for language in ("fa", "en"))


def test_persian_names_latin_letters_as_persians_say_them():
    assert [WORDS["fa"][f"letter_{c}"] for c in "abz"] == ["اِی", "بی", "زِد"]


def test_a_two_letter_service_says_both_letters():
    clips = announcement("AB-012", 4, ["fa"])
    assert [c.name for c in clips[1:5]] == ["number", "letter_a", "letter_b", "n12"]


def test_a_persian_call_says_number_then_counter_then_the_verb():
    assert announcement("B-123", 3, ["fa"]) == [
        Clip("common", "chime"),
        *[Clip("fa", n) for n in ("number", "letter_b", "n100o", "n20o", "n3")],
        Clip("common", "pause"),
        *[Clip("fa", n) for n in ("to_counter", "n3", "please_go")],
    ]
    sentence = said("fa", [c.name for c in announcement("B-123", 3, ["fa"]) if c.set == "fa"])
    assert sentence == "شمارهٔ بی صد و بیست و سه به باجهٔ سه مراجعه کنید"


def test_an_english_call_reads_as_a_sentence():
    clips = [c.name for c in announcement("B-007", 3, ["en"]) if c.set == "en"]
    assert said("en", clips) == "Number B seven please go to counter three"


@pytest.mark.parametrize("counter", [1, 9, 10, 15, 20, 99, 100, 250, 999])
def test_counter_numbers_are_said_like_any_number(counter):
    clips = announcement("A-001", counter, ["fa", "en"])
    fa = [c.name for c in clips if c.set == "fa"]
    en = [c.name for c in clips if c.set == "en"]
    assert said("fa", fa[fa.index("to_counter") + 1 : -1]) == persian(counter)
    assert said("en", en[en.index("to_counter") + 1 :]) == english(counter)


def test_two_languages_share_one_chime_and_keep_their_order():
    clips = announcement("C-045", 2, ["en", "fa"])
    assert [c for c in clips if c.name == "chime"] == [clips[0]]
    sets = [c.set for c in clips if c.set != "common"]
    assert sets == sorted(sets, key=["en", "fa"].index)
    assert Clip("common", "gap") in clips


@pytest.mark.parametrize(
    ("number", "counter", "languages"),
    [
        ("B7", 1, ["fa"]),
        ("b-007", 1, ["fa"]),
        ("ABC-001", 1, ["fa"]),
        ("B-1000", 1, ["fa"]),
        ("B-001", 0, ["fa"]),
        ("B-001", 1000, ["fa"]),
        ("B-001", 1, ["de"]),
    ],
)
def test_what_cannot_be_said_is_refused(number, counter, languages):
    with pytest.raises(ValueError):
        announcement(number, counter, languages)
