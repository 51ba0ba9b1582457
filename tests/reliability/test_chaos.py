"""Chaos: workers SIGKILLed at random while marker-file jobs run; nothing lost, doubles rare."""

from __future__ import annotations

from pathlib import Path

import pytest

from .chaos import run_chaos
from .support import report


def _assert_sound(result_figures: dict[str, object], problems: list[str], kills: int) -> None:
    assert not problems, "\n".join(problems[:30])
    assert result_figures["lost"] == 0
    assert result_figures["kills"] == kills
    # Each double run needs a kill inside the few milliseconds between a command's exit and
    # its record; more doubles than kills would mean the fencing or recovery is wrong.
    assert int(str(result_figures["ran_twice"])) <= kills


def test_chaos_short(db: Path, tmp_path: Path) -> None:
    """300 jobs, 20 SIGKILLs across 3 workers (CI)."""
    result = run_chaos(db, tmp_path, jobs=300, kills=20, seed=20261122)
    report("chaos_short", result.figures())
    _assert_sound(result.figures(), result.problems, 20)


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_chaos_long(db: Path, tmp_path: Path) -> None:
    """2,000 jobs, 60 SIGKILLs across 3 workers (--run-slow)."""
    result = run_chaos(db, tmp_path, jobs=2000, kills=60, seed=6)
    report("chaos_long", result.figures())
    _assert_sound(result.figures(), result.problems, 60)
