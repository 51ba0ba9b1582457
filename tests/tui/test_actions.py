"""Pilot tests for every operator action: each asserts on the store and on the widgets."""

from __future__ import annotations

import re

import pytest
from textual.widgets import Button, Input, Static

from queuectl_core.models import JobState
from queuectl_core.store.base import Store
from queuectl_tui.app import QueueApp
from queuectl_tui.screens.confirm import ConfirmScreen
from queuectl_tui.screens.enqueue import EnqueueScreen
from queuectl_tui.screens.main import MainScreen
from queuectl_tui.screens.purge import PurgeScreen
from queuectl_tui.widgets.job_table import JobTable

from .support import NOW, as_if_last_read_was_slow, press, settle


def table(app: QueueApp) -> JobTable:
    return app.screen.query_one(JobTable)


def ids(app: QueueApp) -> list[str]:
    return [str(row.key.value) for row in table(app).ordered_rows]


def select(app: QueueApp, job_id: str) -> None:
    grid = table(app)
    grid.move_cursor(row=grid.get_row_index(job_id))


async def test_views_filter_by_state(app: QueueApp) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        assert len(ids(app)) == 58
        await press(pilot, "6")
        assert ids(app) == ["sync-002", "sync-001"]
        await press(pilot, "3")
        assert set(ids(app)) == {"reindex-01", "etl-0007"}
        await press(pilot, "1")
        assert ids(app)[0] == "deploy-42"


async def test_retry_moves_a_dead_job_out_of_the_dlq(app: QueueApp, store: Store) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await press(pilot, "6")
        select(app, "sync-001")
        await press(pilot, "r")
        job = await store.get_job("sync-001")
        assert job is not None and job.state == JobState.PENDING and job.attempts == 0
        assert ids(app) == ["sync-002"]


async def test_own_write_shows_although_a_slow_page_is_throttled(
    app: QueueApp, store: Store
) -> None:
    """A page that took long to read is re-read at most every 10x its cost; the refresh after
    the console's own write is not held back (CI caught it on a slow run)."""
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await press(pilot, "6")
        screen = app.screen
        assert isinstance(screen, MainScreen)
        as_if_last_read_was_slow(screen, "_next_refresh")
        select(app, "sync-001")
        await press(pilot, "r")
        assert ids(app) == ["sync-002"]


@pytest.mark.parametrize("job_id", ["job-0048", "hang-001"])  # completed, cancelled
async def test_retry_restarts_a_finished_job_as_queuectl_retry_does(
    app: QueueApp, store: Store, job_id: str
) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        select(app, job_id)
        assert app.screen.check_action("retry", ()) is True
        await press(pilot, "r")
        job = await store.get_job(job_id)
        assert job is not None and job.state == JobState.PENDING and job.attempts == 0


async def test_retry_is_disabled_for_a_running_job(app: QueueApp, store: Store) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        select(app, "reindex-01")
        await press(pilot, "r")
        job = await store.get_job("reindex-01")
        assert job is not None and job.state == JobState.PROCESSING
        assert app.screen.check_action("retry", ()) is None


async def test_retry_all_confirms_with_the_count_and_defaults_to_no(
    app: QueueApp, store: Store
) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await press(pilot, "6", "R")
        dialog = app.screen
        assert isinstance(dialog, ConfirmScreen)
        assert "all 2 jobs" in str(dialog.query_one(".question", Static).render())
        assert dialog.focused is not None and dialog.focused.id == "no"
        await press(pilot, "enter")  # the default answer: No
        assert (await store.counts())[JobState.DEAD] == 2
        await press(pilot, "R", "y")
        assert (await store.counts())[JobState.DEAD] == 0
        assert ids(app) == []


async def test_cancel_pending_and_running_jobs_after_confirm(app: QueueApp, store: Store) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        select(app, "deploy-42")
        await press(pilot, "c")
        assert isinstance(app.screen, ConfirmScreen)
        await press(pilot, "n")
        assert (job := await store.get_job("deploy-42")) and job.state == JobState.PENDING
        await press(pilot, "c", "y")
        assert (job := await store.get_job("deploy-42")) and job.state == JobState.CANCELLED
        select(app, "reindex-01")
        await press(pilot, "c")
        question = str(app.screen.query_one(".question", Static).render())
        assert "process tree will be killed" in question
        await press(pilot, "y")
        assert (job := await store.get_job("reindex-01")) and job.state == JobState.CANCELLED
        assert table(app).get_cell("reindex-01", "state").plain == "cancelled"


async def test_purge_defaults_to_no_then_deletes(app: QueueApp, store: Store) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await press(pilot, "4", "d")
        assert isinstance(app.screen, PurgeScreen)
        await press(pilot, "enter")  # focused button: No
        assert (await store.counts())[JobState.COMPLETED] == 49
        await press(pilot, "d")
        app.screen.query_one("#age", Input).value = "0"
        await settle(pilot)
        assert "Deletes 49 jobs" in str(app.screen.query_one("#problem", Static).render())
        app.screen.query_one("#yes", Button).press()
        await settle(pilot)
        assert (await store.counts())[JobState.COMPLETED] == 0
        assert ids(app) == []


async def test_purge_count_honours_the_age_filter(app: QueueApp, store: Store) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await press(pilot, "4", "d")
        problem = app.screen.query_one("#problem", Static)
        assert "Deletes 0 jobs" in str(problem.render())  # the default 7d: all are younger
        app.screen.query_one("#age", Input).value = "30m"
        await settle(pilot)
        shown = re.search(r"Deletes (\d+) jobs?", str(problem.render()))
        assert shown is not None
        count = int(shown.group(1))
        assert 0 < count < 49
        app.screen.query_one("#yes", Button).press()
        await settle(pilot)
        assert (await store.counts())[JobState.COMPLETED] == 49 - count


async def test_enqueue_dialog_validates_with_the_core(app: QueueApp, store: Store) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await press(pilot, "n")
        dialog = app.screen
        assert isinstance(dialog, EnqueueScreen)
        problem = dialog.query_one("#problem", Static)
        dialog.query_one("#f-priority", Input).value = "high"
        await settle(pilot)
        assert str(problem.render()) == "command must be a non-empty string"
        dialog.query_one("#f-command", Input).value = "echo [b]hi[/b]"
        await settle(pilot)
        assert str(problem.render()) == "priority must be an integer, got 'high'"
        assert dialog.query_one("#submit", Button).disabled
        dialog.query_one("#f-priority", Input).value = "7"
        dialog.query_one("#f-id", Input).value = "new-1"
        dialog.query_one("#f-delay", Input).value = "5m"
        await settle(pilot)
        await press(pilot, "ctrl+s")
        job = await store.get_job("new-1")
        assert job is not None and job.priority == 7 and job.run_at == NOW + 300
        assert ids(app)[0] == "new-1"
        assert table(app).get_cell("new-1", "command").plain == "echo [b]hi[/b]"


async def test_enqueue_duplicate_id_reports_and_writes_nothing(app: QueueApp, store: Store) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await press(pilot, "n")
        app.screen.query_one("#f-command", Input).value = "true"
        app.screen.query_one("#f-id", Input).value = "job-0001"
        await settle(pilot)
        await press(pilot, "ctrl+s")
        assert isinstance(app.screen, MainScreen)
        assert any("already exists" in n.message for n in app._notifications)
        job = await store.get_job("job-0001")
        assert job is not None and job.command.startswith("pg_dump")


async def test_search_queries_the_store_and_escape_clears(app: QueueApp) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await press(pilot, "slash", "s", "y", "n", "c", "minus")
        assert ids(app) == ["sync-002", "sync-001"]
        await press(pilot, "escape")
        assert len(ids(app)) == 58
        assert not app.screen.query_one("#search", Input).value


async def test_readonly_disables_every_action(seeded: str, store: Store) -> None:
    from queuectl_tui.factory import make_app

    from .support import fixed_clock

    app = make_app(seeded, clock=fixed_clock, live=False, readonly=True)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await press(pilot, "6")
        select(app, "sync-001")
        for action in ("retry", "retry_all", "cancel", "purge", "enqueue"):
            assert app.screen.check_action(action, ()) is None
        await press(pilot, "r", "R", "n", "d")
        assert isinstance(app.screen, MainScreen)
        assert (await store.counts())[JobState.DEAD] == 2


async def test_q_quits_and_ctrl_c_quits_without_touching_jobs(
    app: QueueApp, seeded: str, store: Store
) -> None:
    before = await store.counts()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+c")
        await pilot.pause()
    assert app.return_code == 0
    assert await store.counts() == before
    from queuectl_tui.factory import make_app

    from .support import fixed_clock

    again = make_app(seeded, clock=fixed_clock, live=False)
    async with again.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await press(pilot, "w")
        await press(pilot, "q")  # back to the main screen
        assert isinstance(again.screen, MainScreen)
        await pilot.press("q")
        await pilot.pause()
    assert again.return_code == 0
    assert await store.counts() == before


async def test_readonly_write_keys_say_read_only(seeded: str, store: Store) -> None:
    from queuectl_tui.factory import make_app

    from .support import fixed_clock

    app = make_app(seeded, clock=fixed_clock, live=False, readonly=True)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await press(pilot, "6")
        select(app, "sync-001")
        for key in ("r", "R", "c", "d", "n"):
            app.clear_notifications()
            await press(pilot, key)
            assert isinstance(app.screen, MainScreen)
            messages = [n.message for n in app._notifications]
            assert any(m.startswith("read-only: ") for m in messages), (key, messages)
        await press(pilot, "e")
        app.clear_notifications()
        await press(pilot, "enter")
        assert any(n.message.startswith("read-only: ") for n in app._notifications)
        assert not app.screen.has_class("-editing")
        await press(pilot, "q", "w")
        app.clear_notifications()
        await press(pilot, "s")
        assert any(n.message.startswith("read-only: ") for n in app._notifications)
        assert app.hosted is None
        assert (await store.counts())[JobState.DEAD] == 2


async def test_the_gate_refuses_every_posted_write_in_readonly(seeded: str, store: Store) -> None:
    """Requests posted straight to the app (as the palette or a future key would) still meet
    the one read-only check, hosted workers included."""
    from queuectl_tui import requests as rq
    from queuectl_tui.factory import make_app

    from .support import fixed_clock

    app = make_app(seeded, clock=fixed_clock, live=False, readonly=True)
    job = await store.get_job("sync-001")
    assert job is not None
    before = await store.counts()
    writes: list[rq.Request] = [
        rq.RetryRequested(("sync-001",)),
        rq.RetryDeadRequested(),
        rq.CancelRequested(job),
        rq.PurgeRequested(None),
        rq.EnqueueRequested(),
        rq.ConfigChangeRequested("max_retries", "9"),
        rq.WorkersStartRequested(),
        rq.WorkersScaleRequested(1),
        rq.WorkersStopRequested(),
    ]
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        for request in writes:
            app.clear_notifications()
            app.post_message(request)
            await settle(pilot)
            assert isinstance(app.screen, MainScreen), request
            messages = [n.message for n in app._notifications]
            assert messages == [
                f"read-only: {request.what} is off in this console (started with --readonly)"
            ], messages
        assert app.hosted is None
    assert await store.counts() == before
    assert (await store.get_config()).max_retries != 9


def test_every_request_type_is_in_the_message_map() -> None:
    from queuectl_tui import operator, requests

    kinds = [
        kind
        for kind in vars(requests).values()
        if isinstance(kind, type) and issubclass(kind, requests.Request)
    ]
    assert set(kinds) - {requests.Request} == set(operator._HANDLERS)
    assert all(kind.handler_name == "on_request" for kind in kinds)
