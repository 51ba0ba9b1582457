"""The job table's insight keys: select rows (``space``, ``a``) for bulk r/c/d, sort (``o``/``O``),
filter by queue (``u``) or failure group (from ``F``), copy an id or an enqueue line (``y``/``Y``).

``MainScreen`` builds on this; the state here only shapes its query and its bulk requests.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.binding import Binding
from textual.widgets import Input

from queuectl_core.insight import BulkAction, FailureGroup, JobFilter
from queuectl_core.models import JobSort, JobState
from queuectl_core.present import enqueue_command, thousands
from queuectl_tui import requests as rq
from queuectl_tui.screens.base import LiveScreen
from queuectl_tui.text import clean_line
from queuectl_tui.widgets.job_table import JobTable

#: ``o`` walks these; each starts in its natural direction (newest / highest first, else A-Z).
SORTS = (
    JobSort.CREATED,
    JobSort.UPDATED,
    JobSort.ID,
    JobSort.STATE,
    JobSort.QUEUE,
    JobSort.PRIORITY,
)
DESCENDING_FIRST = (JobSort.CREATED, JobSort.UPDATED, JobSort.PRIORITY)


class JobControls(LiveScreen):
    """Selection, sort, queue and group filters of the job table (keys in ``BINDINGS``)."""

    BINDINGS = [
        Binding("space", "mark", "Select row", show=False),
        Binding("a", "mark_all", "Select all matching", show=False),
        Binding("o", "sort", "Sort by next column", show=False),
        Binding("O,shift+o", "flip_sort", "Flip sort direction", key_display="O", show=False),
        Binding("u", "queue_filter", "Filter by queue", show=False),
        Binding("y", "copy_id", "Copy job id", show=False),
        Binding("Y,shift+y", "copy_command", "Copy enqueue command", key_display="Y", show=False),
        Binding("F,shift+f", "failures", "Failures view", key_display="F", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.sort = JobSort.CREATED
        self.descending = True
        self.queue: str | None = None
        self.group: FailureGroup | None = None
        self.marked: set[str] = set()
        self.all_matching = False

    # --- what the subclass provides ----------------------------------------------------------
    @property
    def table(self) -> JobTable:
        return self.query_one(JobTable)

    def view_state(self) -> JobState | None:
        raise NotImplementedError

    def search_value(self) -> str:
        raise NotImplementedError

    def filters_changed(self) -> None:
        """The query changed: go back to the first row and load."""
        raise NotImplementedError

    # --- the query -----------------------------------------------------------------------------
    def extra_filter(self) -> JobFilter | None:
        """The queue and group filters, if any (list_jobs' own arguments carry the rest)."""
        if self.queue is None and self.group is None:
            return None
        return JobFilter(queue=self.queue, ids=self.group.jobs if self.group else None)

    def current_filter(self) -> JobFilter:
        """Everything the table is filtered by, as one filter (``a`` acts on it)."""
        state = self.view_state()
        extra = self.extra_filter() or JobFilter()
        return JobFilter(
            states=(state,) if state is not None else (),
            search=self.search_value() or None,
            queue=extra.queue,
            ids=extra.ids,
        )

    @property
    def has_selection(self) -> bool:
        return self.all_matching or bool(self.marked)

    def bulk(self, action: BulkAction) -> None:
        """r / c / d with a selection: one request for the selected (or all matching) jobs."""
        if self.all_matching:
            where, label = self.current_filter(), "all jobs matching the filter"
        else:
            count = len(self.marked)
            where = JobFilter(ids=tuple(sorted(self.marked)))
            label = f"{count} selected job{'s' * (count != 1)}"
        self.post_message(rq.BulkRequested(action, where, label))

    def describe_filters(self, bar: Text) -> None:
        """The views bar's tail: queue, group, sort and selection, when not the defaults."""
        if self.queue is not None:
            bar.append(f" queue={clean_line(self.queue, 20)}", style="bold")
        if self.group is not None:
            bar.append(f" group={self.group.fingerprint[:8]}", style="bold")
        if (self.sort, self.descending) != (JobSort.CREATED, True):
            bar.append(f" sort={self.sort}{'↓' if self.descending else '↑'}")
        if self.all_matching:
            bar.append(" ✓all", style="reverse")
        elif self.marked:
            bar.append(f" ✓{thousands(len(self.marked))}", style="reverse")

    def render_views(self) -> None:
        """Redraw the views bar (the subclass renders it)."""
        raise NotImplementedError

    def _marks_changed(self) -> None:
        self.table.set_marks(self.marked, self.all_matching)
        self.render_views()
        self.sync_bindings()

    # --- actions -------------------------------------------------------------------------------
    def action_mark(self) -> None:
        job = self.table.selected
        if job is None:
            return
        self.all_matching = False
        self.marked.symmetric_difference_update({job.id})
        self._marks_changed()
        self.table.action_cursor_down()

    def action_mark_all(self) -> None:
        self.all_matching = not self.all_matching
        self.marked.clear()
        self._marks_changed()

    def clear_selection(self) -> None:
        if self.has_selection:
            self.marked.clear()
            self.all_matching = False
            self._marks_changed()

    def action_sort(self) -> None:
        self.sort = SORTS[(SORTS.index(self.sort) + 1) % len(SORTS)]
        self.descending = self.sort in DESCENDING_FIRST
        self.filters_changed()

    def action_flip_sort(self) -> None:
        self.descending = not self.descending
        self.filters_changed()

    def action_queue_filter(self) -> None:
        prompt = self.query_one("#queue-filter", Input)
        prompt.value = self.queue or ""
        prompt.add_class("-active")
        prompt.focus()

    @on(Input.Submitted, "#queue-filter")
    def _queue_chosen(self, event: Input.Submitted) -> None:
        event.stop()
        event.input.remove_class("-active")
        self.queue = event.value.strip() or None
        self.all_matching = False
        self.table.focus()
        self.filters_changed()

    def show_group(self, group: FailureGroup) -> None:
        """Show one failure group's jobs (all views; ``esc`` goes back to every job)."""
        self.group, self.all_matching = group, False
        self.filters_changed()

    def clear_group(self) -> bool:
        if self.group is None:
            return False
        self.group = None
        self.all_matching = False
        self.filters_changed()
        return True

    def action_copy_id(self) -> None:
        if (job := self.table.selected) is not None:
            self.app.copy_to_clipboard(job.id)
            self.app.notify(f"copied {clean_line(job.id, 60)}", markup=False)

    def action_copy_command(self) -> None:
        if (job := self.table.selected) is not None:
            self.app.copy_to_clipboard(enqueue_command(job))
            self.app.notify("copied its queuectl enqueue command", markup=False)

    def action_failures(self) -> None:
        self.post_message(rq.FailuresScreenRequested())
