"""How a wait and a queue are said to citizens: one home for the words every screen shows.

The kiosk, the printed ticket, the wall display and the phone all show these strings as
the server words them, so the four never disagree; the printed ticket's labels are
worded here too. A wait is an estimate's range in whole minutes rounded outwards (so
the words always hold the estimate); long waits are said in hours as a person would
say them; no estimate means no open counter serves the service, and the words say so
instead of inventing a time.
"""

from __future__ import annotations

from functools import lru_cache

from flask_babel import force_locale, get_locale, gettext, ngettext

from printer_drivers.text import localize_digits
from server.engine import Estimate

LANGUAGES = ("fa", "en")

#: Beyond this many minutes nobody plans by the estimate any more: "more than 3 hours".
LONGEST_SAID = 180
#: A range reaching past this many minutes is said in hours.
HOURS_FROM = 90


def page_language() -> str:
    """The language of the request being answered: "fa" or "en"."""
    return "en" if get_locale().language == "en" else "fa"


def wait_words(estimate: Estimate | None, language: str) -> str:
    """The wait before a ticket is called, worded for citizens in ``language``."""
    if estimate is None:
        return _said(None, None, language)
    return _said(estimate.low // 60, -(-estimate.high // 60), language)


def wait_words_by_language(estimate: Estimate | None) -> dict[str, str]:
    """The same words in every language: one board goes to screens of either."""
    return {language: wait_words(estimate, language) for language in LANGUAGES}


def people_words(count: int, language: str) -> str:
    """ "3 people" / "۳ نفر": the people ahead of a ticket, with the right plural."""
    return _people(count, language)


@lru_cache(maxsize=8)
def printed_labels(language: str) -> dict[str, str]:
    """The printed ticket's labels in ``language``, keyed as ``printer_drivers`` renders them.

    Kept per language: the catalogs are compiled at install time and never change
    while the server runs, and switching locale costs more than the rest of a job.
    """
    with force_locale(language):
        return {
            "your_number": gettext("Your number"),
            "people_ahead": gettext("People ahead of you"),
            "wait": gettext("Estimated wait"),
            "date": gettext("Date"),
            "time": gettext("Time"),
            "scan": gettext("Scan to follow your turn"),
        }


@lru_cache(maxsize=4096)
def _said(low: int | None, high: int | None, language: str) -> str:
    # Kept per range and language: a board words every service on every connect, and
    # switching the locale costs more than the wording itself.
    with force_locale(language):
        return localize_digits(_minutes_or_hours(low, high), language)


@lru_cache(maxsize=1024)
def _people(count: int, language: str) -> str:
    with force_locale(language):
        return localize_digits(ngettext("%(num)d person", "%(num)d people", count), language)


def _minutes_or_hours(low: int | None, high: int | None) -> str:
    if low is None or high is None:
        return gettext("no counter is serving this now")
    if low < 1 and high <= 1:
        return gettext("under a minute")
    if low >= LONGEST_SAID:
        return ngettext("more than %(num)d hour", "more than %(num)d hours", LONGEST_SAID // 60)
    if high > LONGEST_SAID:
        if low >= 60:
            return ngettext("more than %(num)d hour", "more than %(num)d hours", low // 60)
        return gettext(
            "%(low)d minutes to more than %(hours)d hours", low=low, hours=LONGEST_SAID // 60
        )
    if high > HOURS_FROM:
        hours_low, hours_high = low // 60, -(-high // 60)
        if hours_low == 0:
            return gettext("%(low)d minutes to %(high)d hours", low=low, high=hours_high)
        if hours_low == hours_high:
            return ngettext("about %(num)d hour", "about %(num)d hours", hours_low)
        return gettext("%(low)d to %(high)d hours", low=hours_low, high=hours_high)
    if low == high:
        return ngettext("about %(num)d minute", "about %(num)d minutes", low)
    if low < 1:
        return ngettext("up to %(num)d minute", "up to %(num)d minutes", high)
    return gettext("%(low)d to %(high)d minutes", low=low, high=high)
