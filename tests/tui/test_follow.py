"""``f`` follows a running job's log: it opens at the tail and stays there as lines arrive."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

from queuectl_core.models import JobSpec, JobState
from queuectl_core.store.open import open_store
from queuectl_tui.factory import make_app
from queuectl_tui.screens.detail import DetailScreen
from queuectl_tui.widgets.job_table import JobTable
from queuectl_tui.widgets.log_view import LogView

# 60 lines at once (more than the log pane shows at 80x24), then one line every 50 ms.
TICKER = "seq 1 60; i=61; while [ $i -le 2000 ]; do echo $i; i=$((i+1)); sleep 0.05; done"


async def _until(check: Callable[[], bool], what: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.05)


def _at_tail(log: LogView) -> bool:
    return log.max_scroll_y > 0 and log.scroll_y == log.max_scroll_y


def _last_line(log: LogView) -> int:
    return int(log.lines[-1]) if log.lines and log.lines[-1].isdigit() else 0


async def test_f_in_the_job_list_opens_a_running_job_at_the_tail_and_follows_it(
    tmp_path: Path,
) -> None:
    url = str(tmp_path / "follow.db")
    store = await open_store(url)
    await store.enqueue([JobSpec(TICKER, id="ticker")])
    app = make_app(url, live=True, workers=1, interval=0.2)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await asyncio.wait_for(app.ready.wait(), 10)

            async def printed(count: int) -> bool:
                output = await store.output("ticker", 1)
                return output is not None and output.stdout.count("\n") >= count

            deadline = time.monotonic() + 20
            while not await printed(70):
                assert time.monotonic() < deadline, "the job never printed"
                await asyncio.sleep(0.05)
            grid = app.screen.query_one(JobTable)
            await _until(
                lambda: grid.selected is not None and grid.selected.state == JobState.PROCESSING,
                "the job list never showed the job running",
            )
            await pilot.press("f")
            await _until(lambda: isinstance(app.screen, DetailScreen), "no detail screen")
            log = app.screen.query_one(LogView)
            await _until(lambda: len(log.lines) >= 70, "the log never loaded")
            await _until(lambda: _at_tail(log), "the log is not at its tail", timeout=5)
            seen = _last_line(log)
            await _until(lambda: _last_line(log) >= seen + 10, "no new lines arrived")
            await _until(lambda: _at_tail(log), "the log is not at its tail", timeout=5)
            await app.store.cancel(["ticker"])
    finally:
        await store.close()


async def test_a_running_jobs_detail_opens_at_the_tail(tmp_path: Path) -> None:
    url = str(tmp_path / "detail.db")
    store = await open_store(url)
    await store.enqueue([JobSpec(TICKER, id="ticker")])
    app = make_app(url, live=True, workers=1, interval=0.2)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await asyncio.wait_for(app.ready.wait(), 10)
            deadline = time.monotonic() + 20
            while (output := await store.output("ticker", 1)) is None or output.stdout.count(
                "\n"
            ) < 70:
                assert time.monotonic() < deadline, "the job never printed"
                await asyncio.sleep(0.05)
            grid = app.screen.query_one(JobTable)
            await _until(lambda: grid.selected is not None, "no job in the list")
            await pilot.press("enter")
            await _until(lambda: isinstance(app.screen, DetailScreen), "no detail screen")
            log = app.screen.query_one(LogView)
            await _until(lambda: len(log.lines) >= 70, "the log never loaded")
            await _until(lambda: _at_tail(log), "the log is not at its tail", timeout=5)
            await app.store.cancel(["ticker"])
    finally:
        await store.close()
