"""Queues pane (``Q``): every queue with its jobs by state, pause and limit; ``p`` pauses or
resumes the selected queue, ``l`` sets its concurrency limit (DESIGN §8).

Both go up to the app's gate as requests (refused in a read-only console). The listing counts
every job by queue, so it is read only while this pane is open and the store has changed.
"""

from __future__ import annotations

import time

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Input, Static

from queuectl_core.errors import InvalidInput
from queuectl_core.models import QueueInfo
from queuectl_core.present import thousands
from queuectl_core.queues import check_concurrency
from queuectl_tui import requests as rq
from queuectl_tui.screens.base import LiveScreen, row_item
from queuectl_tui.text import clean_line
from queuectl_tui.theme import variable
from queuectl_tui.widgets.key_footer import KeyFooter
from queuectl_tui.widgets.problem import show_problem

#: Short headings: the whole table fits 80 columns with queue names up to ~16 characters.
_COLUMNS = ("queue", "state", "max", "pend", "run", "done", "fail", "dead", "canc", "/min")
#: A listing slower than this (seconds) is re-read at most every ten times as long.
LOAD_BUDGET = 0.1
_STATES = ("pending", "processing", "completed", "failed", "dead", "cancelled")


class QueuesScreen(LiveScreen):
    """Queues that have jobs or settings, by name."""

    AUTO_FOCUS = "#queues"
    DYNAMIC_ACTIONS = ("pause", "limit")
    NARROW_KEYS = frozenset({"pause", "limit"})
    BINDINGS = [
        Binding("q,escape", "back", "Back"),
        Binding("p", "pause", "Pause/resume"),
        Binding("l", "limit", "Set limit"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.queues: list[QueueInfo] = []
        self._shown: list[tuple[str, list[Text]]] | None = None
        self._next_load = 0.0

    def compose(self) -> ComposeResult:
        yield Static(id="queues-summary")
        yield DataTable[Text](id="queues", cursor_type="row", zebra_stripes=True)
        yield KeyFooter()

    def on_mount(self) -> None:
        table = self.query_one("#queues", DataTable)
        for label in _COLUMNS:
            table.add_column(label, key=label)
        self.console.request_refresh()

    async def reload(self, changed: bool) -> None:
        now = time.monotonic()
        # A refresh asked for (after our own pause or limit) reads past the throttle.
        if self._shown is None or self.console.forced or (changed and now >= self._next_load):
            self.queues = await self.console.reads.list_queues()
            # The listing scans every job (~0.7 s at a million on SQLite): on a big, busy store
            # read it at most every ten times as long as it takes, not on every change.
            took = time.monotonic() - now
            self._next_load = now + (10 * took if took > LOAD_BUDGET else 0.0)
        self._show()
        self.sync_bindings()

    def _show(self) -> None:
        rows = [(q.name, self._cells(q)) for q in self.queues]
        if rows == self._shown:
            return  # an idle pane writes nothing to the terminal
        self._shown = rows
        table = self.query_one("#queues", DataTable)
        row = table.cursor_row
        table.clear()
        for key, cells in rows:
            table.add_row(*cells, key=key)
        if table.row_count:
            table.move_cursor(row=min(row, table.row_count - 1), animate=False)
        paused = sum(q.paused for q in self.queues)
        line = Text(no_wrap=True, overflow="ellipsis")
        line.append(f"{len(self.queues)} queues, {paused} paused. ")
        line.append("p pauses/resumes the selected queue, l sets its limit.", style="dim")
        self.query_one("#queues-summary", Static).update(line)

    def _cells(self, queue: QueueInfo) -> list[Text]:
        if queue.paused:
            state = Text("paused", style=f"{variable(self.app, 'warning')} bold")
        else:
            state = Text("running", style=variable(self.app, "success"))
        counts = [Text(thousands(queue.counts.get(s, 0)), justify="right") for s in _STATES]
        return [
            Text(clean_line(queue.name, 20), no_wrap=True, overflow="ellipsis"),
            state,
            Text(str(queue.concurrency) if queue.concurrency else "-", justify="right"),
            *counts,
            Text(thousands(queue.completed_last_minute), justify="right"),
        ]

    @property
    def selected(self) -> QueueInfo | None:
        return row_item(self.query_one("#queues", DataTable), self.queues)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if not self.console.allows(action):
            return None
        if action in ("pause", "limit"):
            return self.selected is not None or None
        return True

    def action_pause(self) -> None:
        if (queue := self.selected) is not None:
            self.post_message(rq.QueuePauseRequested(queue.name, not queue.paused))

    def action_limit(self) -> None:
        if (queue := self.selected) is not None:
            self.post_message(rq.QueueLimitRequested(queue.name, queue.concurrency))

    def action_back(self) -> None:
        self.dismiss()


class LimitPrompt(ModalScreen[int | None]):
    """Asks for a queue's concurrency limit: a whole number, 0 for none; esc abandons."""

    BINDINGS = [Binding("escape", "abandon", "Close")]

    def __init__(self, name: str, current: int) -> None:
        super().__init__(classes="dialog-screen")
        self._queue_name = name
        self._current_limit = current

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog") as box:
            box.border_title = "Concurrency limit"
            question = Text.assemble(
                "At most this many jobs of ", (clean_line(self._queue_name, 40), "bold"), "\n"
            )
            question.append("run at once, on every worker and host (0 = no limit).\n")
            question.append("enter saves, esc abandons", style="dim")
            yield Static(question, classes="question")
            yield Input(str(self._current_limit), id="limit", type="integer")
            yield Static(id="limit-problem")

    def on_mount(self) -> None:
        self.query_one("#limit", Input).focus()

    @staticmethod
    def parse(text: str) -> int:
        try:
            number = int(text.strip())
        except ValueError:
            raise InvalidInput(f"the limit must be a whole number, got {text.strip()!r}") from None
        return check_concurrency(number)

    @on(Input.Changed, "#limit")
    def _validate(self, event: Input.Changed) -> None:
        problem = self.query_one("#limit-problem", Static)
        try:
            self.parse(event.value)
        except InvalidInput as exc:
            show_problem(problem, exc)
        else:
            show_problem(problem, None)

    @on(Input.Submitted, "#limit")
    def _save(self, event: Input.Submitted) -> None:
        try:
            limit = self.parse(event.value)
        except InvalidInput:
            return  # the message is already on screen
        self.dismiss(limit)

    def action_abandon(self) -> None:
        self.dismiss(None)
