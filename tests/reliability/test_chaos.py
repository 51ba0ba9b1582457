"""Chaos: workers SIGKILLed at random while marker-file jobs run; nothing lost, nothing twice."""

from __future__ import annotations

from pathlib import Path

import pytest

from .chaos import run_chaos
from .support import report


def _assert_sound(result_figures: dict[str, object], problems: list[str], kills: int) -> None:
    assert not problems, "\n".join(problems[:30])
    assert result_figures["lost"] == 0
    assert result_figures["kills"] == kills
    # A command that exited before its worker died is recorded by the supervisor; one killed
    # mid-run never wrote its marker (the marker is its last act): no job may run twice.
    assert result_figures["ran_twice"] == 0


def test_chaos_short(db: Path, tmp_path: Path) -> None:
    """300 jobs, 20 SIGKILLs across 3 workers (CI)."""
    result = run_chaos(db, tmp_path, jobs=300, kills=20, seed=20261122)
    report("chaos_short", result.figures())
    _assert_sound(result.figures(), result.problems, 20)


def test_chaos_many_kills(db: Path, tmp_path: Path) -> None:
    """600 jobs, 100 SIGKILLs across 3 workers of 2 slots: one run of the 5-run variant below."""
    result = run_chaos(db, tmp_path, jobs=600, kills=100, seed=15, pace=(0.02, 0.1), slots=2)
    report("chaos_many_kills", result.figures())
    _assert_sound(result.figures(), result.problems, 100)


@pytest.mark.slow
@pytest.mark.timeout(1800)
@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_chaos_many_kills_five_runs(db: Path, tmp_path: Path, seed: int) -> None:
    """600 jobs, 100 SIGKILLs, five consecutive seeds (--run-slow)."""
    result = run_chaos(db, tmp_path, jobs=600, kills=100, seed=seed, pace=(0.02, 0.1), slots=2)
    report(f"chaos_many_kills_{seed}", result.figures())
    _assert_sound(result.figures(), result.problems, 100)


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_chaos_long(db: Path, tmp_path: Path) -> None:
    """2,000 jobs, 60 SIGKILLs across 3 workers (--run-slow)."""
    result = run_chaos(db, tmp_path, jobs=2000, kills=60, seed=6)
    report("chaos_long", result.figures())
    _assert_sound(result.figures(), result.problems, 60)
