"""The ``queuectl-tui`` command line, an unusable store, and NO_COLOR."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from textual.filter import Monochrome

from queuectl_tui.cli import parse
from queuectl_tui.factory import make_app

from .support import fixed_clock, settle


def test_arguments() -> None:
    args = parse(["--db", "/tmp/x.db", "--workers", "3"])
    assert (args.db, args.workers, args.demo, args.readonly) == ("/tmp/x.db", 3, False, False)
    assert parse(["--demo", "--readonly"]).readonly
    for bad in (["--workers", "-1"], ["--readonly", "--workers", "2"]):
        with pytest.raises(SystemExit) as exc:
            parse(bad)
        assert exc.value.code == 2


def test_help_runs_without_a_terminal() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "queuectl_tui", "--help"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0 and "--workers N" in result.stdout


async def test_an_unusable_store_exits_1_with_one_line(tmp_path: Path) -> None:
    app = make_app(str(tmp_path), clock=fixed_clock, live=False)  # a directory
    async with app.run_test() as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
    assert app.return_code == 1


async def test_no_color_is_honoured(seeded: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(seeded, clock=fixed_clock, live=False)
    async with app.run_test() as pilot:
        await settle(pilot)
        assert app.no_color
        assert any(isinstance(f, Monochrome) for f in app._filters)
