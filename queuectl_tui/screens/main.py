"""The main screen: counts, views 1..6, search, and the windowed job table (see ``job_pages``)."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Input, Static

from queuectl_core.insight import BulkAction, FailureGroup
from queuectl_core.lifecycle import CANCELLABLE_STATES, RETRYABLE_STATES
from queuectl_core.models import JobState
from queuectl_core.present import thousands
from queuectl_tui import requests as rq
from queuectl_tui.screens.job_pages import VIEWS, JobPages
from queuectl_tui.text import clean_line
from queuectl_tui.widgets.counts import CountsPane
from queuectl_tui.widgets.empty_hint import EmptyHint
from queuectl_tui.widgets.job_table import JobTable
from queuectl_tui.widgets.key_footer import KeyFooter

#: Typing pauses this long before a search runs (a search scans the store).
SEARCH_DEBOUNCE = 0.25


class MainScreen(JobPages):
    """Top level: ``q`` quits from here."""

    AUTO_FOCUS = "#jobs"
    DYNAMIC_ACTIONS = ("retry", "retry_all", "cancel", "follow")
    #: The footer at 80 columns; ``?`` lists every key.
    NARROW_KEYS = frozenset({"search", "retry", "cancel", "enqueue", "workers"})
    BINDINGS = [
        *[
            Binding(str(i + 1), f"view({i})", f"View: {label}", show=False)
            for i, (_, label) in enumerate(VIEWS)
        ],
        Binding("slash", "search", "Search"),
        Binding("escape", "clear_search", "Clear search", show=False),
        Binding("r", "retry", "Retry"),
        Binding("R,shift+r", "retry_all", "Retry DLQ", key_display="R"),
        Binding("c", "cancel", "Cancel"),
        Binding("d", "purge", "Purge"),
        Binding("n", "enqueue", "New job"),
        Binding("e", "config", "Config"),
        Binding("w", "workers", "Workers"),
        Binding("t", "processes", "Processes"),
        Binding("S,shift+s", "schedules", "Schedules", key_display="S", show=False),
        Binding("Q,shift+q", "queues", "Queues", key_display="Q"),
        Binding("f", "follow", "Follow", show=False),
        Binding("q", "quit", "Quit"),
    ]

    def compose(self) -> ComposeResult:
        yield CountsPane(id="counts-pane")
        yield Static(id="views")
        yield Input(placeholder="search id or command; enter: done, esc: clear", id="search")
        yield Input(
            placeholder="queue to show (empty: every queue); enter: done", id="queue-filter"
        )
        yield JobTable(id="jobs")
        yield EmptyHint(id="empty")
        yield KeyFooter()

    @property
    def table(self) -> JobTable:
        return self.query_one(JobTable)

    def _render_views(self) -> None:
        bar = Text(no_wrap=True, overflow="ellipsis")
        for index, (_, label) in enumerate(VIEWS):
            style = "reverse bold" if index == self.view_index else ""
            bar.append(f" {index + 1} {label} ", style=style)
        if self.search_text:
            bar.append("  / ", style="bold")
            bar.append(clean_line(self.search_text, 30), style="underline")
        rows = self.table.row_count
        where = (
            f"{thousands(self.first_row + 1)}-{thousands(self.first_row + rows)}" if rows else "0"
        )
        # Filters before the count: at 80 columns the bar's tail is cut, and they matter more.
        self.describe_filters(bar)
        bar.append(f"  {where} of {thousands(self.total_rows)}")
        self.query_one("#views", Static).update(bar)

    def render_views(self) -> None:
        self._render_views()

    def show_group(self, group: FailureGroup) -> None:
        """A failure group's jobs may be failed and dead: show them in the All view."""
        self.view_index = 0
        self.table.show_errors(False)
        super().show_group(group)

    def filters_changed(self) -> None:
        self.first_row = 0
        self._render_views()
        self._reload_soon(0)

    # --- table messages ----------------------------------------------------------------------
    def on_data_table_row_highlighted(self, _: DataTable.RowHighlighted) -> None:
        self.sync_bindings()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value is not None:
            self.post_message(rq.DetailRequested(str(event.row_key.value)))

    # --- search ------------------------------------------------------------------------------
    def action_search(self) -> None:
        search = self.query_one("#search", Input)
        search.add_class("-active")
        search.focus()

    @on(Input.Changed, "#search")
    def _search_changed(self, event: Input.Changed) -> None:
        self.search_text, self.first_row = event.value.strip(), 0
        self.all_matching = False
        self._reload_soon(0, delay=SEARCH_DEBOUNCE)

    @on(Input.Submitted, "#search")
    def _search_done(self) -> None:
        self.table.focus()

    def action_clear_search(self) -> None:
        """esc: close the prompts, clear the search, the selection and the group filter."""
        self.query_one("#queue-filter", Input).remove_class("-active")
        search = self.query_one("#search", Input)
        search.remove_class("-active")
        self.table.focus()
        self.clear_selection()
        self.clear_group()
        if search.value:
            search.value = ""  # posts Changed, which reloads

    # --- actions -----------------------------------------------------------------------------
    def action_view(self, index: int) -> None:
        self.view_index, self.first_row, self.all_matching = index, 0, False
        self.table.show_errors(VIEWS[index][0] == JobState.DEAD)
        self._render_views()
        self._reload_soon(0)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if not self.console.allows(action):
            return None
        job = self.table.selected if self.is_mounted else None
        if action in ("retry", "cancel") and self.is_mounted and self.has_selection:
            return True
        if action == "retry":
            return (job is not None and job.state in RETRYABLE_STATES) or None
        if action == "cancel":
            return (job is not None and job.state in CANCELLABLE_STATES) or None
        if action == "follow":
            return (job is not None and job.state == JobState.PROCESSING) or None
        return True

    def action_retry(self) -> None:
        if self.has_selection:
            self.bulk(BulkAction.RETRY)
        elif (job := self.table.selected) is not None:
            self.post_message(rq.RetryRequested((job.id,)))

    def action_retry_all(self) -> None:
        self.post_message(rq.RetryDeadRequested())

    def action_cancel(self) -> None:
        if self.has_selection:
            self.bulk(BulkAction.CANCEL)
        elif (job := self.table.selected) is not None:
            self.post_message(rq.CancelRequested(job))

    def action_purge(self) -> None:
        if self.has_selection:
            self.bulk(BulkAction.PURGE)
            return
        self.post_message(rq.PurgeRequested(VIEWS[self.view_index][0]))

    def action_enqueue(self) -> None:
        self.post_message(rq.EnqueueRequested())

    def action_config(self) -> None:
        self.post_message(rq.ConfigScreenRequested())

    def action_workers(self) -> None:
        self.post_message(rq.WorkersScreenRequested())

    def action_processes(self) -> None:
        self.post_message(rq.ProcessesScreenRequested())

    def action_schedules(self) -> None:
        self.post_message(rq.SchedulesScreenRequested())

    def action_queues(self) -> None:
        self.post_message(rq.QueuesScreenRequested())

    def action_follow(self) -> None:
        if (job := self.table.selected) is not None:
            self.post_message(rq.DetailRequested(job.id, follow=True))

    def action_quit(self) -> None:
        self.post_message(rq.QuitRequested())
