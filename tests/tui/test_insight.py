"""Pilot tests for the insight keys: the failures view, selection with bulk actions, sort, the
queue filter and copying. Each asserts on the store and on the widgets."""

from __future__ import annotations

import json
import shlex

import pytest
from textual.widgets import DataTable, Input, Static

from queuectl_core.models import JobSpec, JobState
from queuectl_core.store.base import Store
from queuectl_tui.app import QueueApp
from queuectl_tui.palette import commands_for
from queuectl_tui.screens.confirm import ConfirmScreen
from queuectl_tui.screens.failures import FailuresScreen
from queuectl_tui.screens.main import MainScreen
from queuectl_tui.widgets.job_table import MARK, JobTable

from .support import as_if_last_read_was_slow, press, settle

SIZES = [(80, 24), (120, 36)]


def table(app: QueueApp) -> JobTable:
    return app.screen.query_one(JobTable)


def ids(app: QueueApp) -> list[str]:
    return [str(row.key.value) for row in table(app).ordered_rows]


def select(app: QueueApp, job_id: str) -> None:
    grid = table(app)
    grid.move_cursor(row=grid.get_row_index(job_id))


def views_bar(app: QueueApp) -> str:
    return str(app.screen.query_one("#views", Static).render())


async def state(store: Store, job_id: str) -> JobState:
    job = await store.get_job(job_id)
    assert job is not None
    return job.state


@pytest.mark.parametrize("size", SIZES)
async def test_failures_view_lists_groups_and_shows_a_groups_jobs(
    app: QueueApp, size: tuple[int, int]
) -> None:
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await press(pilot, "6", "F")  # from the DLQ view: a group shows in All
        screen = app.screen
        assert isinstance(screen, FailuresScreen)
        groups = screen.query_one("#groups", DataTable)
        assert groups.row_count == 2
        assert [g.jobs for g in screen.groups] == [("sync-001", "sync-002"), ("feed-001",)]
        title = str(screen.query_one("#failures-title", Static).render())
        assert "2 ways of failing across 3 failed or dead jobs" in title
        await press(pilot, "enter")
        assert isinstance(app.screen, MainScreen)
        assert sorted(ids(app)) == ["sync-001", "sync-002"]
        assert f"group={screen.groups[0].fingerprint[:8]}" in views_bar(app)
        await press(pilot, "escape")
        assert len(ids(app)) == 58


async def test_retry_group_from_the_failures_view_asks_with_the_count(
    app: QueueApp, store: Store
) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "F", "r")
        confirm = app.screen
        assert isinstance(confirm, ConfirmScreen)
        question = str(confirm.query_one(".question", Static).render())
        assert "Retry 2 jobs of failure group" in question
        await press(pilot, "enter")  # the default is No
        assert await state(store, "sync-001") == JobState.DEAD
        await press(pilot, "r", "y")
        assert await state(store, "sync-001") == JobState.PENDING
        assert await state(store, "sync-002") == JobState.PENDING
        assert await state(store, "feed-001") == JobState.FAILED  # the other group
        screen = app.screen
        assert isinstance(screen, FailuresScreen)
        assert [g.jobs for g in screen.groups] == [("feed-001",)]


async def test_regroups_after_own_write_although_throttled(app: QueueApp, store: Store) -> None:
    """Grouping is redone at most every 10x its cost; the console's own write still shows."""
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "F")
        screen = app.screen
        assert isinstance(screen, FailuresScreen)
        as_if_last_read_was_slow(screen, "_next_load")
        await press(pilot, "r", "y")
        assert await state(store, "sync-001") == JobState.PENDING
        assert [g.jobs for g in screen.groups] == [("feed-001",)]


async def test_purge_group_deletes_only_its_final_jobs(app: QueueApp, store: Store) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await press(pilot, "F", "d", "y")
        assert await store.get_job("sync-001") is None and await store.get_job("sync-002") is None
        assert await state(store, "feed-001") == JobState.FAILED


async def test_selection_and_bulk_cancel_with_a_confirm_showing_the_count(
    app: QueueApp, store: Store
) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "2")  # pending
        pending = ids(app)
        select(app, pending[0])
        await press(pilot, "space", "space")  # marks two rows, moving down
        assert table(app).get_row(pending[0])[0].plain.startswith(MARK)
        assert "✓2" in views_bar(app)
        await press(pilot, "space")  # the third, the last row: the cursor stays on it
        assert "✓3" in views_bar(app)
        await press(pilot, "space")  # unmarks it again
        assert "✓2" in views_bar(app)
        await press(pilot, "c")
        confirm = app.screen
        assert isinstance(confirm, ConfirmScreen)
        assert "Cancel 2 jobs of 2 selected jobs" in str(
            confirm.query_one(".question", Static).render()
        )
        await press(pilot, "y")
        assert await state(store, pending[0]) == JobState.CANCELLED
        assert await state(store, pending[1]) == JobState.CANCELLED
        assert await state(store, pending[2]) == JobState.PENDING


async def test_select_all_matching_the_filter_then_retry(app: QueueApp, store: Store) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await press(pilot, "6", "a")
        assert "✓all" in views_bar(app)
        await press(pilot, "r")
        assert isinstance(app.screen, ConfirmScreen)
        await press(pilot, "y")
        assert await state(store, "sync-001") == JobState.PENDING
        assert await state(store, "sync-002") == JobState.PENDING
        assert ids(app) == []


async def test_sort_cycles_columns_and_flips(app: QueueApp) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        newest = ids(app)
        await press(pilot, "O")
        assert ids(app) == list(reversed(newest))
        assert "sort=created↑" in views_bar(app)
        await press(pilot, "o", "o")  # updated, then id (A-Z)
        assert "sort=id↑" in views_bar(app)
        shown = ids(app)
        assert shown == sorted(shown)
        await press(pilot, "O")
        assert ids(app) == sorted(ids(app), reverse=True)
        await press(pilot, "o", "o", "o")  # state, queue, priority
        assert "sort=priority↓" in views_bar(app)
        screen = app.screen
        assert isinstance(screen, MainScreen)
        jobs = [table(app)._jobs[i] for i in ids(app)]
        assert [j.priority for j in jobs] == sorted((j.priority for j in jobs), reverse=True)


async def test_queue_filter_prompt(app: QueueApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "u")
        prompt = app.screen.query_one("#queue-filter", Input)
        assert prompt.has_focus
        await pilot.press(*"mail", "enter")
        await settle(pilot)
        assert ids(app) and all(table(app)._jobs[i].queue == "mail" for i in ids(app))
        assert "queue=mail" in views_bar(app)
        await press(pilot, "u")
        prompt.value = ""
        await press(pilot, "enter")
        assert len(ids(app)) == 58


async def test_copy_id_and_enqueue_command(app: QueueApp, store: Store) -> None:
    await store.enqueue(
        [JobSpec("echo 'it''s' $HOME", id="odd \u202e", queue="mail", priority=3, env={"A": "b"})]
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        select(app, "odd \u202e")
        await press(pilot, "y")
        assert app.clipboard == "odd \u202e"
        await press(pilot, "Y")
        words = shlex.split(app.clipboard)
        assert words[:2] == ["queuectl", "enqueue"]
        assert json.loads(words[2]) == {
            "command": "echo 'it''s' $HOME",
            "queue": "mail",
            "priority": 3,
            "max_retries": 3,
            "env": {"A": "b"},
        }


async def test_palette_offers_the_insight_keys(app: QueueApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        titles = {command.title for command in commands_for(app, app.screen)}
        for name in ("Failures view", "Select all matching", "Sort by next column", "Copy job id"):
            assert name in titles
        assert "Focus Previous" not in titles  # Textual's own bindings stay out
        await press(pilot, "F")
        titles = {command.title for command in commands_for(app, app.screen)}
        assert {"Retry group", "Purge group", "Show jobs"} <= titles
