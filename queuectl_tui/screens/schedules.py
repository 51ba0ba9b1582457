"""Schedules pane (``S``): every schedule with its rule, next and last run and how its last job
went; ``p`` pauses or resumes, ``x`` fires one job now, ``D`` removes (after a confirm).

Writes go up to the app's gate as requests, like every other pane's.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from queuectl_core.models import JobState
from queuectl_core.present import relative
from queuectl_core.recurrence import describe, expression
from queuectl_core.schedule_model import Schedule
from queuectl_tui import requests as rq
from queuectl_tui.screens.base import LiveScreen, row_item
from queuectl_tui.text import clean_line
from queuectl_tui.theme import variable
from queuectl_tui.widgets.key_footer import KeyFooter

# The description comes last: at 80 columns it is what gets cut, not when the rule fires next.
_COLUMNS = ("name", "rule", "next", "last", "last job", "state", "description")
_OUTCOME_COLOURS = {
    JobState.COMPLETED: "success",
    JobState.FAILED: "warning",
    JobState.DEAD: "error",
    JobState.CANCELLED: "secondary",
}


class SchedulesScreen(LiveScreen):
    """Recurring jobs; the workers fire them, this pane only looks and asks."""

    AUTO_FOCUS = "#schedules"
    DYNAMIC_ACTIONS = ("pause_schedule", "run_schedule", "remove_schedule")
    NARROW_KEYS = frozenset({"pause_schedule", "run_schedule", "remove_schedule"})
    BINDINGS = [
        Binding("q,escape", "back", "Back"),
        Binding("p", "pause_schedule", "Pause/resume"),
        Binding("x", "run_schedule", "Run now"),
        Binding("D,shift+d", "remove_schedule", "Remove", key_display="D"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.schedules: list[Schedule] = []
        self._shown: list[tuple[str, list[Text]]] | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="schedules-summary")
        yield DataTable[Text](id="schedules", cursor_type="row", zebra_stripes=True)
        yield KeyFooter()

    def on_mount(self) -> None:
        table = self.query_one("#schedules", DataTable)
        for label in _COLUMNS:
            table.add_column(label, key=label)
        self.console.request_refresh()

    async def reload(self, changed: bool) -> None:
        if changed or self._shown is None:
            self.schedules = await self.console.reads.list_schedules()
        self._show(self.console.clock())
        self.sync_bindings()

    def _show(self, now: float) -> None:
        rows = [(s.name, self._cells(s, now)) for s in self.schedules]
        if rows == self._shown:
            return  # an idle pane writes nothing to the terminal
        self._shown = rows
        table = self.query_one("#schedules", DataTable)
        row = table.cursor_row
        table.clear()
        for index, (_, cells) in enumerate(rows):
            table.add_row(*cells, key=str(index))  # names are unique, but keys need not trust it
        if table.row_count:
            table.move_cursor(row=min(row, table.row_count - 1), animate=False)
        paused = sum(s.paused for s in self.schedules)
        summary = f"{len(self.schedules)} schedules, {paused} paused; the workers fire them. "
        summary += "p pause/resume, x run now, D remove"
        line = Text(summary, no_wrap=True, overflow="ellipsis")
        self.query_one("#schedules-summary", Static).update(line)

    def _cells(self, item: Schedule, now: float) -> list[Text]:
        rule = item.spec.rule
        if item.paused:
            state = Text("paused", style=variable(self.app, "warning"))
            upcoming = "-"
        else:
            state = Text("active", style=variable(self.app, "success"))
            upcoming = relative(item.next_run, now) or "?"
        return [
            Text(clean_line(item.name, 30)),
            Text(clean_line(expression(rule), 30)),
            Text(upcoming, justify="right"),
            Text(relative(item.last_run, now) or "never", justify="right"),
            self._outcome(item),
            state,
            Text(clean_line(describe(rule), 50), no_wrap=True, overflow="ellipsis"),
        ]

    def _outcome(self, item: Schedule) -> Text:
        if item.last_job is None:
            return Text("-")
        shown = clean_line(item.last_job, 24) + " "
        if item.last_state is None:
            return Text(shown + "(purged)", style="dim")
        colour = _OUTCOME_COLOURS.get(item.last_state)
        style = variable(self.app, colour) if colour else ""
        return Text.assemble(shown, (str(item.last_state), style))

    @property
    def selected(self) -> Schedule | None:
        return row_item(self.query_one("#schedules", DataTable), self.schedules)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if not self.console.allows(action):
            return None
        if action in self.DYNAMIC_ACTIONS:
            return self.selected is not None or None
        return True

    def action_pause_schedule(self) -> None:
        if (item := self.selected) is not None:
            self.post_message(rq.SchedulePauseRequested(item.name, not item.paused))

    def action_run_schedule(self) -> None:
        if (item := self.selected) is not None:
            self.post_message(rq.ScheduleRunRequested(item.name))

    def action_remove_schedule(self) -> None:
        if (item := self.selected) is not None:
            self.post_message(rq.ScheduleRemoveRequested(item.name, expression(item.spec.rule)))

    def action_back(self) -> None:
        self.dismiss()
