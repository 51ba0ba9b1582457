"""The main screen's job table as a window onto the store: which view, search and rows are
loaded; reloading when the store or the query changes (a slow page less often); moving the window
when the cursor reaches its edge. ``MainScreen`` builds on this and draws the views bar."""

from __future__ import annotations

import asyncio
import time

from queuectl_core.models import JobState
from queuectl_tui.screens.job_controls import JobControls
from queuectl_tui.widgets.job_table import JobTable

#: Rows loaded at once; the window moves when the cursor reaches its edge.
WINDOW = 100
VIEWS: list[tuple[JobState | None, str]] = [
    (None, "All"),
    (JobState.PENDING, "Pending"),
    (JobState.PROCESSING, "Running"),
    (JobState.COMPLETED, "Completed"),
    (JobState.FAILED, "Failed"),
    (JobState.DEAD, "Dead"),
]
#: A search count is a full scan; reuse it for this long while the store keeps changing.
SEARCH_COUNT_TTL = 10.0
#: A page that took longer than this (seconds) to load waits SLOW_BACKOFF times as long before
#: the refresh loop loads it again.
SLOW_LOAD = 0.2
SLOW_BACKOFF = 10


class JobPages(JobControls):
    """The loaded window of ``WINDOW`` rows (``first_row`` of ``total_rows``) and its reloads."""

    def __init__(self) -> None:
        super().__init__()
        self.view_index = 0
        self.search_text = ""
        self.first_row = 0
        self.total_rows = 0
        self._search_count: tuple[tuple[object, ...], int, float] | None = None
        self._next_refresh = 0.0

    async def reload(self, changed: bool, *, asked: bool = False) -> None:
        """``asked``: the operator moved, searched or sorted (never throttled, nor is a forced
        refresh: the one after the console's own write)."""
        reads, now = self.console.reads, self.console.clock()
        asked = asked or self.console.forced
        quiet = not asked and time.monotonic() < self._next_refresh
        if (not changed or quiet) and self.table.row_count:
            self.table.tick(now)
            return
        started = time.monotonic()
        request = self._request()
        state = VIEWS[self.view_index][0]
        jobs = await reads.list_jobs(
            state=state,
            search=self.search_text or None,
            limit=WINDOW,
            offset=self.first_row,
            newest_first=self.descending,
            sort=self.sort,
            where=self.extra_filter(),
        )
        total = await self._count(state, now)
        # A slow page (an unindexed sort at a million jobs) is refreshed at most every 10x its
        # cost, so a busy store does not keep the store thread reading the same page.
        cost = time.monotonic() - started
        self._next_refresh = started + SLOW_BACKOFF * cost if cost > SLOW_LOAD else 0.0
        if request != self._request():
            return  # a newer request superseded this one
        if not jobs and self.first_row > 0:
            self.first_row = max(0, total - WINDOW)
            await self.reload(True, asked=asked)
            return
        self.total_rows = total
        self.table.more_above = self.first_row > 0
        self.table.more_below = self.first_row + len(jobs) < total
        self.table.show(jobs, now)
        snapshot = self.console.snapshot
        self.set_class(snapshot is not None and snapshot.count(None) == 0, "-empty")
        self.render_views()
        self.sync_bindings()

    def _request(self) -> tuple[object, ...]:
        """What the loaded rows depend on: a load for an older request is dropped."""
        group = self.group.fingerprint if self.group else None
        return (self.view_index, self.search_text, self.first_row, self.queue, group)

    async def _count(self, state: JobState | None, now: float) -> int:
        where = self.extra_filter()
        if not self.search_text and where is None:
            snapshot = self.console.snapshot
            if snapshot is not None:
                return snapshot.count(state)
            return await self.console.reads.count_jobs(state=state)
        key = (self.view_index, self.search_text, self.queue, self.group)
        cached = self._search_count
        if cached is None or cached[0] != key or abs(now - cached[2]) > SEARCH_COUNT_TTL:
            search = self.search_text or None
            count = await self.console.reads.count_jobs(state=state, search=search, where=where)
            self._search_count = cached = (key, count, now)
        return cached[1]

    def view_state(self) -> JobState | None:
        return VIEWS[self.view_index][0]

    def search_value(self) -> str:
        return self.search_text

    def _reload_soon(self, cursor: int | None = None, delay: float = 0.0) -> None:
        """Load in a worker; a newer request cancels this one (also while it waits ``delay``)."""

        async def load() -> None:
            if delay:
                await asyncio.sleep(delay)
            await self.console.ready.wait()  # keys typed while the store is still opening
            await self.reload(True, asked=True)
            if cursor is not None:
                self.table.select_row(cursor)

        self.run_worker(load(), group="page", exclusive=True)

    def on_job_table_edge(self, message: JobTable.Edge) -> None:
        last = max(0, self.total_rows - WINDOW)
        if message.step == "home":
            self.first_row, cursor = 0, 0
        elif message.step == "end":
            self.first_row, cursor = last, WINDOW
        else:
            target = self.first_row + message.table.cursor_row + int(message.step)
            target = max(0, min(target, self.total_rows - 1))
            self.first_row = max(0, min(target - WINDOW // 2, last))
            cursor = target - self.first_row
        self._reload_soon(cursor)
