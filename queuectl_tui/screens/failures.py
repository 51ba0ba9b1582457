"""Failures view (``F``): dead and failed jobs grouped by how they failed, biggest group first."""

from __future__ import annotations

import time

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from queuectl_core.insight import BulkAction, FailureGroup, JobFilter, group_failures
from queuectl_core.present import relative, thousands
from queuectl_tui import requests as rq
from queuectl_tui.screens.base import LiveScreen
from queuectl_tui.text import clean_line, inert
from queuectl_tui.widgets.key_footer import KeyFooter

#: Seconds between regroupings at least, and how many times a regrouping's cost to wait.
MIN_INTERVAL = 2.0
LOAD_BACKOFF = 10
#: (key, label, width); the failure pattern takes what is left.
_COLUMNS = [("count", "jobs", 6), ("queues", "queues", 14), ("last", "last seen", 10)]


class FailuresScreen(LiveScreen):
    """``enter`` shows a group's jobs in the job table; ``r`` retries it, ``d`` purges it."""

    AUTO_FOCUS = "#groups"
    DYNAMIC_ACTIONS = ("retry", "purge", "show")
    NARROW_KEYS = frozenset({"show", "retry", "purge"})
    BINDINGS = [
        Binding("q,escape", "back", "Back"),
        Binding("enter", "show", "Show jobs"),
        Binding("r", "retry", "Retry group"),
        Binding("d", "purge", "Purge group"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.groups: list[FailureGroup] = []
        self._shown: list[tuple[str, list[Text]]] | None = None
        self._next_load = 0.0
        #: The store changed since the last grouping (regrouped once the wait is over).
        self._stale = False

    def compose(self) -> ComposeResult:
        yield Static(id="failures-title")
        yield DataTable[Text](id="groups", cursor_type="row", zebra_stripes=True)
        yield KeyFooter()

    def on_mount(self) -> None:
        table = self.query_one("#groups", DataTable)
        share = max(20, self.app.size.width - sum(w + 2 for _, _, w in _COLUMNS) - 4)
        for key, label, width in [*_COLUMNS, ("failure", "failure", share)]:
            table.add_column(label, key=key, width=width)
        self.console.request_refresh()

    @property
    def selected(self) -> FailureGroup | None:
        table = self.query_one("#groups", DataTable)
        if not self.groups or not 0 <= table.cursor_row < len(self.groups):
            return None
        return self.groups[table.cursor_row]

    async def reload(self, changed: bool) -> None:
        # Grouping is CPU work on the event loop (~30 µs a failed job): on a busy store with
        # thousands of failures, regroup at most every 10x its cost (and every 2 s at most).
        self._stale = self._stale or changed
        due = self.console.forced or time.monotonic() >= self._next_load  # forced: our own write
        if self._shown is None or (self._stale and due):
            self._stale = False
            started = time.monotonic()
            self.groups = group_failures(await self.console.reads.failure_rows())
            cost = time.monotonic() - started
            self._next_load = started + max(MIN_INTERVAL, LOAD_BACKOFF * cost)
        now = self.console.clock()
        rows = [(g.fingerprint, self._cells(g, now)) for g in self.groups]
        if rows != self._shown:
            self._show(rows)
        self.sync_bindings()

    def _cells(self, group: FailureGroup, now: float) -> list[Text]:
        return [
            Text(thousands(group.count), justify="right"),
            inert(",".join(group.queues), limit=40),
            Text(relative(group.last_seen, now) or "-", justify="right"),
            Text(clean_line(group.example, 300), no_wrap=True, overflow="ellipsis"),
        ]

    def _show(self, rows: list[tuple[str, list[Text]]]) -> None:
        self._shown = rows
        table = self.query_one("#groups", DataTable)
        row = table.cursor_row
        with self.app.batch_update():
            table.clear()
            for key, cells in rows:
                table.add_row(*cells, key=key)
            if table.row_count:
                table.move_cursor(row=min(max(row, 0), table.row_count - 1), animate=False)
        jobs = sum(g.count for g in self.groups)
        title = Text(no_wrap=True, overflow="ellipsis")
        if self.groups:
            title.append(f" {thousands(len(self.groups))} ways of failing", style="bold")
            title.append(f" across {thousands(jobs)} failed or dead jobs, biggest first")
        else:
            title.append(" No failed or dead jobs.", style="bold")
        self.query_one("#failures-title", Static).update(title)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if not self.console.allows(action):
            return None
        if action in ("retry", "purge", "show"):
            return (self.is_mounted and self.selected is not None) or None
        return True

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_show()

    def action_show(self) -> None:
        if (group := self.selected) is not None:
            self.post_message(rq.GroupJobsRequested(group))

    def _bulk(self, action: BulkAction) -> None:
        if (group := self.selected) is not None:
            where = JobFilter(ids=group.jobs)
            label = f"failure group {group.fingerprint}"
            self.post_message(rq.BulkRequested(action, where, label))

    def action_retry(self) -> None:
        self._bulk(BulkAction.RETRY)

    def action_purge(self) -> None:
        self._bulk(BulkAction.PURGE)

    def action_back(self) -> None:
        self.dismiss()
