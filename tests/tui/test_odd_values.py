"""No stored value can make the console fail: extreme timestamps and numbers written straight into
a real SQLite store (past every validation) render in every view, at 80 and 160 columns."""

from __future__ import annotations

import asyncio
import itertools
import json
import sqlite3
from pathlib import Path

import pytest
from textual.widgets import DataTable

from queuectl_core.models import JobSpec
from queuectl_core.present import duration, exit_text, relative, span, timestamp
from queuectl_core.store.open import open_store
from queuectl_tui.app import QueueApp
from queuectl_tui.factory import make_app
from queuectl_tui.screens.detail import DetailScreen
from queuectl_tui.screens.failures import FailuresScreen
from queuectl_tui.screens.main import MainScreen
from queuectl_tui.screens.processes import ProcessesScreen
from queuectl_tui.screens.workers import WorkersScreen
from queuectl_tui.widgets.job_table import JobTable

from .support import NOW, fixed_clock, press, settle

INF = float("inf")
#: Year 9999, year 1, just past year 9999, the epoch, the float extremes and infinities.
MOMENTS = [253_402_300_799.0, -62_135_596_800.0, 253_402_300_800.0 * 1000, 0.0, 1e308, -1e308]
MOMENTS += [INF, -INF, NOW]
NUMBERS = [2**63 - 1, -(2**63), 0, -1, 255, -9, -200, 2**31]
STATES = ["pending", "processing", "completed", "failed", "dead", "cancelled"]


def _poison(path: Path) -> list[str]:
    """Rewrite every job, attempt and worker with extreme values; returns the job ids."""

    async def enqueue() -> list[str]:
        store = await open_store(str(path), clock=fixed_clock)
        try:
            jobs = await store.enqueue([JobSpec("echo odd", id=f"odd-{n:02d}") for n in range(12)])
        finally:
            await store.close()
        return [job.id for job in jobs]

    ids = asyncio.run(enqueue())
    moments = itertools.cycle(MOMENTS)
    numbers = itertools.cycle(NUMBERS)
    with sqlite3.connect(path) as db:
        for index, job_id in enumerate(ids):
            t = [next(moments) for _ in range(6)]
            n = [next(numbers) for _ in range(5)]
            db.execute(
                "UPDATE jobs SET state = ?, run_at = ?, created_at = ?, updated_at = ?,"
                " started_at = ?, finished_at = ?, lease_expires_at = ?, priority = ?,"
                " attempts = ?, max_retries = ?, exit_code = ?, runs = ?, timeout = ?,"
                " last_error = 'boom', worker_id = 'w-odd' WHERE id = ?",
                (STATES[index % len(STATES)], *t, *n, t[0], job_id),
            )
            for attempt, (start, end, code) in enumerate(
                [(t[1], t[2], n[3]), (t[3], None, None), (t[4], t[5], n[0])], start=1
            ):
                db.execute(
                    "INSERT OR REPLACE INTO attempts VALUES (?, ?, 'w-odd', ?, ?, ?, 'boom')",
                    (job_id, attempt, start, end, code),
                )
                db.execute(
                    "INSERT OR REPLACE INTO outputs VALUES (?, ?, 'out\n', 'err\n')",
                    (job_id, attempt),
                )
        for index, (start, beat) in enumerate(itertools.pairwise(MOMENTS)):
            db.execute(
                "INSERT INTO workers (id, host, pid, slots, queues, started_at, heartbeat_at,"
                " current_jobs, stop_requested, processes)"
                " VALUES (?, 'host', ?, ?, '[]', ?, ?, '[\"odd-01\"]', 0, ?)",
                (f"w-{index}", NUMBERS[index % len(NUMBERS)], 2**62, start, beat, "{}"),
            )
        # Samples of every shape: the process pane reads what it can and shows "-" otherwise.
        samples = {
            job_id: [next(numbers), next(numbers), next(numbers), next(moments), 2**80, start]
            for job_id, start in zip(ids, MOMENTS, strict=False)
        }
        samples["odd-01"] = "not a sample"  # type: ignore[assignment]
        db.execute(
            "INSERT OR REPLACE INTO workers (id, host, pid, slots, queues, started_at,"
            " heartbeat_at, processes) VALUES ('w-odd', 'h', 1, 1, '[]', 0, 0, ?)",
            (json.dumps(samples),),
        )
        db.execute("UPDATE workers SET processes = '{broken' WHERE id = 'w-0'")
    return ids


def test_formatting_is_total() -> None:
    for moment, now in itertools.product([*MOMENTS, float("nan"), None], MOMENTS):
        assert isinstance(relative(moment, now), str)
        assert isinstance(duration(moment, now, now), str)
        assert isinstance(duration(now, moment, now), str)
    for moment in [*MOMENTS, float("nan")]:
        assert isinstance(timestamp(moment), str)
        assert isinstance(span(moment), str)
        assert len(span(moment)) <= 7
    for code in NUMBERS:
        assert isinstance(exit_text(code), str)
    assert timestamp(253_402_300_799.0) == "9999-12-31 23:59:59Z"
    assert relative(NOW - 90, NOW) == "1m ago"


async def _visit_everything(app: QueueApp, ids: list[str]) -> None:
    async with app.run_test(size=app.size_for_test) as pilot:  # type: ignore[attr-defined]
        await settle(pilot)
        for view in "123456":
            await press(pilot, view)
            app.export_screenshot()
        await press(pilot, "1")
        grid = app.screen.query_one(JobTable)
        assert grid.row_count == len(ids)
        for job_id in ids:
            grid.move_cursor(row=grid.get_row_index(job_id))
            await press(pilot, "enter")
            assert isinstance(app.screen, DetailScreen)
            app.export_screenshot()
            await press(pilot, "q")
            assert isinstance(app.screen, MainScreen)
        await press(pilot, "w")
        assert isinstance(app.screen, WorkersScreen)
        assert app.snapshot is not None and app.snapshot.workers
        assert app.screen.query_one("#workers", DataTable).row_count == len(app.snapshot.workers)
        app.export_screenshot()
        await press(pilot, "q")
        await press(pilot, "t")
        assert isinstance(app.screen, ProcessesScreen)
        app.export_screenshot()
        await press(pilot, "q")
        await press(pilot, "F")
        assert isinstance(app.screen, FailuresScreen)
        assert app.screen.query_one("#groups", DataTable).row_count == 1  # 'boom', twice
        app.export_screenshot()
        await press(pilot, "enter")
        assert isinstance(app.screen, MainScreen)
        for key in ("o", "O", "o", "o", "o", "o", "space", "a", "y", "Y"):
            await press(pilot, key)
            app.export_screenshot()


@pytest.mark.parametrize("size", [(80, 24), (160, 45)])
async def test_every_view_renders_extreme_stored_values(
    tmp_path: Path, size: tuple[int, int]
) -> None:
    path = tmp_path / "odd.db"
    ids = await asyncio.to_thread(_poison, path)
    app = make_app(str(path), clock=fixed_clock, live=False)
    app.size_for_test = size  # type: ignore[attr-defined]
    await _visit_everything(app, ids)
