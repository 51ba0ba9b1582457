"""Refresh behaviour, windowing over many jobs, hosted workers, and the core/UI boundary."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path

from textual.widgets import Static

from queuectl_core.models import JobSpec, JobState
from queuectl_core.store.base import Store
from queuectl_core.store.open import open_store
from queuectl_tui.app import QueueApp
from queuectl_tui.factory import make_app
from queuectl_tui.screens.confirm import ConfirmScreen
from queuectl_tui.screens.job_pages import WINDOW
from queuectl_tui.screens.main import MainScreen
from queuectl_tui.screens.workers import WorkersScreen
from queuectl_tui.widgets.job_table import JobTable

from .support import fixed_clock, press, settle


def table(app: QueueApp) -> JobTable:
    return app.screen.query_one(JobTable)


async def test_refresh_queries_nothing_while_the_store_is_unchanged(
    app: QueueApp, store: Store
) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        calls: list[str] = []
        real = app.store
        for name in ("counts", "list_jobs", "list_workers", "metrics", "get_config"):
            method = getattr(real, name)

            async def spy(*args: object, _m=method, _n=name, **kwargs: object) -> object:  # type: ignore[no-untyped-def]
                calls.append(_n)
                return await _m(*args, **kwargs)

            setattr(real, name, spy)
        for _ in range(5):
            await app.refresh_data()
        assert calls == []
        await store.enqueue([JobSpec("true", id="from-elsewhere")])
        await app.refresh_data()
        await settle(pilot)
        assert "counts" in calls and "list_jobs" in calls
        assert str(table(app).ordered_rows[0].key.value) == "from-elsewhere"


async def test_cursor_survives_refreshes_that_add_and_remove_rows(
    app: QueueApp, store: Store
) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        grid = table(app)
        grid.move_cursor(row=grid.get_row_index("job-0040"))
        await store.enqueue([JobSpec("true", id=f"new-{i}") for i in range(3)])
        await store.cancel(["rotate-01"])
        await app.refresh_data()
        await settle(pilot)
        assert grid.selected_id == "job-0040"
        assert [str(r.key.value) for r in grid.ordered_rows][:3] == ["new-2", "new-1", "new-0"]
        assert grid.get_cell("rotate-01", "state").plain == "cancelled"


async def _seed_many(path: Path, count: int) -> str:
    store = await open_store(str(path), clock=fixed_clock)
    try:
        specs = [JobSpec(f"echo {n}", id=f"bulk-{n:05d}") for n in range(count)]
        await store.enqueue(specs)
    finally:
        await store.close()
    return str(path)


async def test_only_a_window_is_loaded_and_it_moves_at_the_edges(tmp_path: Path) -> None:
    url = await _seed_many(tmp_path / "many.db", 1000)
    app = make_app(url, clock=fixed_clock, live=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        grid = table(app)
        assert grid.row_count == WINDOW
        assert grid.selected_id == "bulk-00999"
        await press(pilot, "end")
        assert grid.selected_id == "bulk-00000"
        assert grid.row_count == WINDOW
        screen = app.screen
        assert isinstance(screen, MainScreen) and screen.first_row == 1000 - WINDOW
        await press(pilot, "home")
        assert grid.selected_id == "bulk-00999"
        for _ in range(WINDOW):
            await pilot.press("down")
        await settle(pilot)
        assert grid.selected_id == f"bulk-{999 - WINDOW:05d}"
        assert grid.row_count == WINDOW and screen.first_row > 0


async def test_hosted_workers_run_jobs_and_can_be_scaled_and_stopped(tmp_path: Path) -> None:
    path = tmp_path / "hosted.db"
    marker = tmp_path / "ran"
    store = await open_store(str(path))
    await store.enqueue([JobSpec(f"echo hi > {marker}", id="hosted-1")])
    app = make_app(str(path), live=True, workers=1, interval=0.2)
    async with app.run_test(size=(120, 36)) as pilot:
        await asyncio.wait_for(app.ready.wait(), 10)
        deadline = time.monotonic() + 20
        while (job := await store.get_job("hosted-1")) and job.state != JobState.COMPLETED:
            assert time.monotonic() < deadline, job
            await asyncio.sleep(0.05)
        assert marker.read_text() == "hi\n"
        await pilot.press("w")
        await pilot.pause()
        assert isinstance(app.screen, WorkersScreen)
        hosted = app.hosted
        assert hosted is not None and hosted.running and hosted.slots == 1
        await pilot.press("plus")
        await pilot.pause()
        assert hosted.slots == 2
        await pilot.press("x")
        deadline = time.monotonic() + 20
        while hosted.running:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.05)
        assert await store.list_workers() == []
        await pilot.press("q", "q")
    await store.close()


def test_the_core_never_loads_textual() -> None:
    code = (
        "import sys, queuectl_core, queuectl_core.store.sqlite, queuectl_core.worker, "
        "queuectl_core.store.base;"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'queuectl_tui'));"
        "print(','.join(bad))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == ""


async def test_quit_asks_while_hosted_workers_run_a_job_and_hands_it_back(tmp_path: Path) -> None:
    path = tmp_path / "quit.db"
    store = await open_store(str(path))
    await store.enqueue([JobSpec("sleep 60", id="long-1")])
    app = make_app(str(path), live=True, workers=1, interval=0.2)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await asyncio.wait_for(app.ready.wait(), 10)
            deadline = time.monotonic() + 20
            while (job := await store.get_job("long-1")) and job.state != JobState.PROCESSING:
                assert time.monotonic() < deadline, job
                await asyncio.sleep(0.05)
            await pilot.press("q")
            await pilot.pause()
            assert isinstance(app.screen, ConfirmScreen)
            question = str(app.screen.query_one(".question", Static).render())
            assert "running 1 job" in question and "back to pending" in question
            await pilot.press("enter")  # the default is No
            await pilot.pause()
            assert isinstance(app.screen, MainScreen) and app.is_running
            await pilot.press("q")
            await pilot.pause()
            await pilot.press("y")
            await pilot.pause()
        job = await store.get_job("long-1")
        assert job is not None and job.state == JobState.PENDING and job.attempts == 0
    finally:
        await store.close()
