"""The words every screen and the printed ticket use for a wait and the people ahead."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from server.app import create_app
from server.config import TestingConfig
from server.engine.estimates import Estimate
from server.wording import people_words, wait_words
from tests.conftest import close


@pytest.fixture
def words(sqlite_url: str) -> Iterator[Flask]:
    """An app context: the words come from the app's catalogs."""
    app = create_app(TestingConfig, {"SQLALCHEMY_DATABASE_URI": sqlite_url})
    with app.app_context():
        yield app
    close(app)


def minutes(low: float, high: float) -> Estimate:
    return Estimate(seconds=round((low + high) * 30), low=round(low * 60), high=round(high * 60))


@pytest.mark.parametrize(
    ("estimate", "fa", "en"),
    [
        (None, "فعلاً باجه‌ای به این خدمت رسیدگی نمی‌کند", "no counter is serving this now"),
        (minutes(0, 0), "کمتر از یک دقیقه", "under a minute"),
        (minutes(0, 0.9), "کمتر از یک دقیقه", "under a minute"),
        (minutes(4, 4), "حدود ۴ دقیقه", "about 4 minutes"),
        (minutes(1, 1), "حدود ۱ دقیقه", "about 1 minute"),
        (minutes(10.5, 14.2), "۱۰ تا ۱۵ دقیقه", "10 to 15 minutes"),
        (minutes(0, 6.25), "تا ۷ دقیقه", "up to 7 minutes"),
        (minutes(0.5, 1), "کمتر از یک دقیقه", "under a minute"),
        (minutes(40, 120), "۴۰ دقیقه تا ۲ ساعت", "40 minutes to 2 hours"),
        (minutes(70, 150), "۱ تا ۳ ساعت", "1 to 3 hours"),
        (minutes(120, 120), "حدود ۲ ساعت", "about 2 hours"),
        (minutes(100, 400), "بیش از ۱ ساعت", "more than 1 hour"),
        (minutes(20, 400), "۲۰ دقیقه تا بیش از ۳ ساعت", "20 minutes to more than 3 hours"),
        # A flood of tickets once had the kiosk promise "9864 to 10156 minutes".
        (minutes(9864, 10156), "بیش از ۳ ساعت", "more than 3 hours"),
    ],
)
def test_a_wait_is_worded_as_a_person_would_say_it(words, estimate, fa, en):
    assert wait_words(estimate, "fa") == fa
    assert wait_words(estimate, "en") == en


def test_the_words_always_hold_the_estimate_by_rounding_outwards(words):
    assert wait_words(Estimate(seconds=700, low=659, high=721), "en") == "10 to 13 minutes"


@pytest.mark.parametrize(
    ("count", "fa", "en"),
    [(0, "۰ نفر", "0 people"), (1, "۱ نفر", "1 person"), (12, "۱۲ نفر", "12 people")],
)
def test_people_ahead_take_the_plural_of_their_language(words, count, fa, en):
    assert (people_words(count, "fa"), people_words(count, "en")) == (fa, en)
