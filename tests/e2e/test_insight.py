"""Failure groups, bulk actions by filter and list filters through the real binary (SQLite)."""

from __future__ import annotations

from pathlib import Path

from helpers import start_workers

from .insight_flow import run_scenario


def test_failures_bulk_actions_and_list_filters(db: Path) -> None:
    def drain() -> None:
        worker = start_workers(db, 2, "--drain")
        assert worker.wait(60) == 0, worker.output()

    run_scenario(db, drain)
