"""The job table: one window of jobs, diffed by key so the cursor and scroll survive refreshes."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import events
from textual.coordinate import Coordinate
from textual.message import Message
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey, RowDoesNotExist, RowKey

from queuectl_core.models import Job, JobState
from queuectl_core.present import exit_text, relative
from queuectl_tui.text import inert
from queuectl_tui.theme import state_style

#: (key, label, width); command takes what is left. Narrow terminals drop priority and queue.
_COLUMNS = [
    ("id", "id", 15),
    ("state", "state", 10),
    ("command", "command", 0),
    ("att", "att", 5),
    ("pri", "pri", 4),
    ("queue", "queue", 10),
    ("when", "when", 7),
    ("exit", "exit", 7),
]
_NARROW_DROP = {"pri", "queue"}
NARROW_BELOW = 110
#: Before the id of a row selected for a bulk action.
MARK = "✓ "


def _when(job: Job, now: float) -> str:
    if job.state in (JobState.PENDING, JobState.FAILED) and job.run_at > now + 0.5:
        return relative(job.run_at, now)
    if job.state == JobState.PROCESSING:
        return relative(job.started_at, now)
    if job.finished_at is not None and job.state != JobState.PENDING:
        return relative(job.finished_at, now)
    return relative(job.created_at, now)


class JobTable(DataTable[Text]):
    """Shows the jobs it is given; asks its screen (``Edge``) for the next window at the edges."""

    @dataclass
    class Edge(Message):
        """The cursor tried to leave the loaded window: ``step`` rows, or ``"home"``/``"end"``."""

        table: JobTable
        step: int | str

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True, cell_padding=1)
        self._jobs: dict[str, Job] = {}
        self._cells: dict[str, list[Text]] = {}
        self._keys: list[str] = []
        self._now = 0.0
        self.more_above = False
        self.more_below = False
        self.errors = False
        self._marked: set[str] = set()
        self._all_marked = False

    # --- columns follow the width ----------------------------------------------------------
    def _layout(self, width: int) -> list[tuple[str, str, int]]:
        columns = [c for c in _COLUMNS if width >= NARROW_BELOW or c[0] not in _NARROW_DROP]
        if self.errors:  # every row is dead: the state says nothing, the error says why
            columns = [c for c in columns if c[0] != "state"] + [("error", "error", 0)]
        fixed = sum(w for _, _, w in columns) + 2 * len(columns) + 2
        share = max(12, (width - fixed) // sum(1 for c in columns if not c[2]))
        return [(k, label, w or share) for k, label, w in columns]

    def show_errors(self, errors: bool) -> None:
        """The DLQ view: an error column instead of the state."""
        if errors != self.errors:
            self.errors = errors
            if self.size.width:
                self._rebuild(self._layout(self.size.width))

    def on_resize(self, event: events.Resize) -> None:
        layout = self._layout(event.size.width)
        if [(str(k.value), c.width) for k, c in self.columns.items()] != [
            (k, w) for k, _, w in layout
        ]:
            self._rebuild(layout)

    def _rebuild(self, layout: list[tuple[str, str, int]]) -> None:
        selected = self.selected_id
        with self.app.batch_update():
            self.clear(columns=True)
            for key, label, width in layout:
                self.add_column(label, width=width, key=key)
            self._cells.clear()
            self.show(list(self._jobs.values()), self._now)
            self._restore(selected)

    # --- data ------------------------------------------------------------------------------
    @property
    def selected_id(self) -> str | None:
        if not self.row_count:
            return None
        try:
            key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
        except RowDoesNotExist:
            return None
        return None if key.value is None else str(key.value)

    @property
    def selected(self) -> Job | None:
        selected = self.selected_id
        return None if selected is None else self._jobs.get(selected)

    def set_marks(self, marked: set[str], everything: bool) -> None:
        """Rows selected for a bulk action (``everything``: every row matching the filter)."""
        self._marked, self._all_marked = set(marked), everything
        self.show(list(self._jobs.values()), self._now)

    def _id_cell(self, job: Job) -> Text:
        if self._all_marked or job.id in self._marked:
            return Text.assemble((MARK, "bold"), inert(job.id, style="bold"))
        return inert(job.id)

    def _row(self, job: Job) -> list[Text]:
        cells = {
            "id": self._id_cell(job),
            "state": Text(str(job.state), style=state_style(self.app, job.state)),
            "command": inert(job.command),
            "att": Text(f"{job.attempts}/{job.max_attempts}", justify="right"),
            "pri": Text(str(job.priority), justify="right"),
            "queue": inert(job.queue),
            "when": Text(_when(job, self._now), justify="right"),
            "exit": Text(exit_text(job.exit_code), justify="right"),
            "error": inert(job.last_error or ""),
        }
        return [cells[str(key.value)] for key in self.columns]

    def show(self, jobs: list[Job], now: float) -> None:
        """Show ``jobs`` in this order: update changed cells, add and remove rows by key."""
        if not self.columns:
            self._jobs = {job.id: job for job in jobs}
            self._now = now
            return
        selected = self.selected_id
        self._now = now
        wanted = {job.id: job for job in jobs}
        with self.app.batch_update():
            for gone in [key for key in self._jobs if key not in wanted]:
                self._cells.pop(gone, None)
                self.remove_row(gone)
            column_keys = list(self.columns)
            for job in jobs:
                cells = self._row(job)
                old = self._cells.get(job.id)
                if old is None:
                    self.add_row(*cells, key=job.id)
                else:
                    for column, before, after in zip(column_keys, old, cells, strict=True):
                        if before != after:
                            self._set_cell(job.id, column, after)
                self._cells[job.id] = cells
            self._jobs = wanted
            keys = list(wanted)
            if keys != self._keys:
                order = {key: index for index, key in enumerate(keys)}
                self.sort("id", key=lambda cell: order.get(cell.plain.removeprefix(MARK), 0))
                self._keys = keys
            self._restore(selected)

    def _set_cell(self, row: str, column: ColumnKey, value: Text) -> None:
        """``update_cell`` without its whole-table repaint: an idle refresh changes a few
        "54s ago" cells, and repainting every row for them kept an idle console writing ~6 KB/s."""
        self._data[RowKey(row)][column] = value
        self._update_count += 1  # the render caches are keyed on it
        coordinate = Coordinate(self.get_row_index(row), self.get_column_index(column))
        self.refresh_coordinate(coordinate)

    def tick(self, now: float) -> None:
        """Relative times moved on; only cells whose text changed are touched."""
        self.show(list(self._jobs.values()), now)

    def _restore(self, selected: str | None) -> None:
        if selected is not None and selected in self._jobs:
            row = self.get_row_index(selected)
            if row != self.cursor_row:
                self.move_cursor(row=row, animate=False)

    def select_row(self, row: int) -> None:
        """Put the cursor on ``row`` (clamped), e.g. after the window moved."""
        if self.row_count:
            self.move_cursor(row=max(0, min(row, self.row_count - 1)), animate=False)

    # --- edges ask for another window --------------------------------------------------------
    def action_cursor_down(self) -> None:
        if self.more_below and self.cursor_row >= self.row_count - 1:
            self.post_message(self.Edge(self, 1))
        else:
            super().action_cursor_down()

    def action_cursor_up(self) -> None:
        if self.more_above and self.cursor_row <= 0:
            self.post_message(self.Edge(self, -1))
        else:
            super().action_cursor_up()

    def action_page_down(self) -> None:
        if self.more_below and self.cursor_row + self.size.height >= self.row_count:
            self.post_message(self.Edge(self, max(1, self.size.height - 2)))
        else:
            super().action_page_down()

    def action_page_up(self) -> None:
        if self.more_above and self.cursor_row - self.size.height < 0:
            self.post_message(self.Edge(self, -max(1, self.size.height - 2)))
        else:
            super().action_page_up()

    def action_scroll_home(self) -> None:
        self.post_message(self.Edge(self, "home")) if self.more_above else self.select_row(0)

    def action_scroll_end(self) -> None:
        if self.more_below:
            self.post_message(self.Edge(self, "end"))
        else:
            self.select_row(self.row_count - 1)
