"""The job detail shows a job's dependencies, each with its current state, and its unique key."""

from __future__ import annotations

from textual.widgets import Static

from queuectl_core.models import Finish, JobSpec, Outcome
from queuectl_core.store.base import Store
from queuectl_tui.app import QueueApp

from .support import press, settle
from .test_screens import _plain, select


async def test_detail_shows_dependencies_with_their_states(app: QueueApp, store: Store) -> None:
    await store.enqueue(
        [
            JobSpec("./fetch.sh", id="fetch", priority=1000),
            JobSpec("./ship.sh", id="ship", after=("fetch",), unique_key="ship-nightly"),
        ]
    )
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        select(app, "ship")
        await press(pilot, "enter")
        fields = _plain(app.screen.query_one("#fields", Static).content)
        assert "after" in fields and "fetch pending" in fields
        assert "key" in fields and "ship-nightly" in fields
        (job,) = await store.claim("tester", None, 1, 60)
        assert job.id == "fetch"
        await store.finish([Finish("fetch", "tester", job.runs, Outcome(0, None))])
        app.request_refresh()
        await settle(pilot)
        fields = _plain(app.screen.query_one("#fields", Static).content)
        assert "fetch completed" in fields


async def test_detail_of_a_job_without_dependencies_has_no_after_row(app: QueueApp) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        select(app, "sync-001")
        await press(pilot, "enter")
        fields = _plain(app.screen.query_one("#fields", Static).content)
        assert "after" not in fields.split() and "key" not in fields.split()
