"""The wall display's announcer, tested with node's own test runner (announcer.test.mjs)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

TESTS = Path(__file__).with_name("announcer.test.mjs")


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_announcements_play_in_order_without_overlap_and_survive_the_autoplay_block():
    result = subprocess.run(
        ["node", "--test", str(TESTS)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "# fail 0" in result.stdout
