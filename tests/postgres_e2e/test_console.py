"""The console on a PostgreSQL store: the same seeded data, views and actions as on SQLite."""

from __future__ import annotations

import pytest
from tui.support import NOW, fixed_clock, press, settle

from queuectl_core.models import JobState
from queuectl_core.store.open import open_store
from queuectl_tui.demo import Clock, seed
from queuectl_tui.factory import make_app
from queuectl_tui.screens.failures import FailuresScreen
from queuectl_tui.widgets.job_table import JobTable

pytestmark = pytest.mark.postgres


async def test_console_opens_on_postgres_and_retries_from_the_dlq(pg_url: str) -> None:
    clock = Clock(NOW)
    store = await open_store(pg_url, clock=clock)
    try:
        await seed(store, clock, NOW)
        app = make_app(pg_url, clock=fixed_clock, live=False)
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            grid = app.screen.query_one(JobTable)
            assert len(grid.ordered_rows) == 58
            await press(pilot, "6")
            rows = [str(row.key.value) for row in grid.ordered_rows]
            assert rows == ["sync-002", "sync-001"]
            grid.move_cursor(row=grid.get_row_index("sync-001"))
            await press(pilot, "r")
            job = await store.get_job("sync-001")
            assert job is not None and job.state == JobState.PENDING and job.attempts == 0
            assert [str(row.key.value) for row in grid.ordered_rows] == ["sync-002"]
    finally:
        await store.close()


async def test_failures_view_and_bulk_actions_on_postgres(pg_url: str) -> None:
    clock = Clock(NOW)
    store = await open_store(pg_url, clock=clock)
    try:
        await seed(store, clock, NOW)
        app = make_app(pg_url, clock=fixed_clock, live=False)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            await press(pilot, "F")
            assert isinstance(app.screen, FailuresScreen)
            assert [g.jobs for g in app.screen.groups] == [("sync-001", "sync-002"), ("feed-001",)]
            await press(pilot, "enter")
            grid = app.screen.query_one(JobTable)
            assert sorted(str(row.key.value) for row in grid.ordered_rows) == [
                "sync-001",
                "sync-002",
            ]
            await press(pilot, "a", "r", "y")  # every job of the group, after the confirm
            for job_id in ("sync-001", "sync-002"):
                job = await store.get_job(job_id)
                assert job is not None and job.state == JobState.PENDING
            job = await store.get_job("feed-001")
            assert job is not None and job.state == JobState.FAILED
            await press(pilot, "escape", "o", "o")  # sort by id, A-Z
            shown = [str(row.key.value) for row in grid.ordered_rows]
            assert shown == sorted(shown)
    finally:
        await store.close()
