"""A refresh or worker still reading the store when its screen goes away (popped, or the app
shutting down) draws nothing and raises nothing: the widgets it would fill are already removed.

Each test holds one read until the detail's widgets are gone: the slow read of a busy machine,
made certain."""

from __future__ import annotations

import asyncio
import time

import pytest
from textual.pilot import Pilot

from queuectl_core.models import Attempt, Output
from queuectl_tui.app import QueueApp
from queuectl_tui.screens.detail import DetailScreen
from queuectl_tui.screens.main import MainScreen
from queuectl_tui.widgets.job_table import JobTable

from .support import press, settle


async def _open_detail(pilot: Pilot[None], app: QueueApp) -> DetailScreen:
    await settle(pilot)
    grid = app.screen.query_one(JobTable)
    grid.move_cursor(row=grid.get_row_index("sync-001"))
    await press(pilot, "enter")
    screen = app.screen
    assert isinstance(screen, DetailScreen)
    return screen


async def _until_gone(screen: DetailScreen, selector: str) -> None:
    deadline = time.monotonic() + 10  # a hang guard, not a timing assertion
    while screen.query(selector):
        assert time.monotonic() < deadline, "the detail's widgets were never removed"
        await asyncio.sleep(0)


@pytest.mark.parametrize("leave", ["pop", "shutdown"])
async def test_a_refresh_landing_after_the_detail_is_gone_does_not_raise(
    app: QueueApp, leave: str
) -> None:
    started = asyncio.Event()
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await _open_detail(pilot, app)
        read = app.store.attempts

        async def attempts(job_id: str) -> list[Attempt]:
            answer = await read(job_id)
            started.set()
            await _until_gone(screen, "#attempts")
            return answer

        app.store.attempts = attempts  # type: ignore[method-assign]
        refresh = asyncio.create_task(app.refresh_data(force=True))
        await asyncio.wait_for(started.wait(), 10)
        if leave == "pop":
            await pilot.press("q")
            await refresh  # raised NoMatches '#attempts' before the fix
            assert isinstance(app.screen, MainScreen)
    if leave == "shutdown":
        await refresh  # the app shut down (its screens removed) while the read was in flight


async def test_an_output_read_landing_after_the_detail_is_popped_does_not_raise(
    app: QueueApp,
) -> None:
    started = asyncio.Event()
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await _open_detail(pilot, app)
        read = app.store.output

        async def output(job_id: str, attempt: int | None = None) -> Output | None:
            answer = await read(job_id, attempt)
            started.set()
            await _until_gone(screen, "#log")
            return answer

        app.store.output = output  # type: ignore[method-assign]
        await pilot.press("f")  # the screen's own worker reads the output
        await asyncio.wait_for(started.wait(), 10)
        await pilot.press("q")
        await app.workers.wait_for_complete()  # raised NoMatches 'LogView' before the fix
        assert isinstance(app.screen, MainScreen)
