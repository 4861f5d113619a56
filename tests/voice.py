"""The spoken calls' clips for tests: built once per process, as ``make voice`` builds them."""

from __future__ import annotations

from functools import cache

from display.voice import synth


@cache
def built_clips() -> synth.BuildReport:
    """Generate the clips if missing or out of date (quick when ``make voice`` ran)."""
    return synth.build()
