"""``?``: every key of every screen, generated from the bindings themselves so it cannot drift."""

from __future__ import annotations

from collections.abc import Iterable

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from queuectl_tui.keys import APP_BINDINGS
from queuectl_tui.screens.config import ConfigScreen
from queuectl_tui.screens.detail import DetailScreen
from queuectl_tui.screens.failures import FailuresScreen
from queuectl_tui.screens.job_controls import JobControls
from queuectl_tui.screens.main import MainScreen
from queuectl_tui.screens.processes import ProcessesScreen
from queuectl_tui.screens.queues import QueuesScreen
from queuectl_tui.screens.schedules import SchedulesScreen
from queuectl_tui.screens.workers import WorkersScreen

_EXTRA = {
    "Main": [
        ("enter", "Job detail and logs"),
        ("↑ ↓ pgup pgdn home end", "Move; more jobs load at the edges"),
    ],
    "Anywhere": [
        ("ctrl+p", "Command palette: every action by name"),
        ("tab", "Next pane"),
    ],
}
_KEY_NAMES = {"slash": "/", "question_mark": "?", "plus": "+", "minus": "-", "escape": "esc"}


def _keys(binding: Binding) -> str:
    if binding.key_display:
        return binding.key_display
    names = [_KEY_NAMES.get(k, k) for k in binding.key.split(",") if k != "equals_sign"]
    return " ".join(dict.fromkeys(names))


def _rows(bindings: Iterable[BindingType]) -> list[tuple[str, str]]:
    return [(_keys(b), b.description) for b in bindings if isinstance(b, Binding) and b.description]


def help_table() -> Table:
    """All keys, grouped by screen."""
    sections: list[tuple[str, list[tuple[str, str]]]] = [
        ("Main", _rows(MainScreen.BINDINGS) + _rows(JobControls.BINDINGS) + _EXTRA["Main"]),
        ("Failures", _rows(FailuresScreen.BINDINGS)),
        ("Job detail", _rows(DetailScreen.BINDINGS)),
        ("Workers", _rows(WorkersScreen.BINDINGS)),
        ("Processes", _rows(ProcessesScreen.BINDINGS)),
        ("Schedules", _rows(SchedulesScreen.BINDINGS)),
        ("Queues", _rows(QueuesScreen.BINDINGS)),
        ("Config", _rows(ConfigScreen.BINDINGS)),
        ("Anywhere", _rows(APP_BINDINGS) + _EXTRA["Anywhere"]),
    ]
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True, min_width=10)
    table.add_column()
    for title, rows in sections:
        table.add_row(Text(title, style="reverse bold"), "")
        for key, description in rows:
            table.add_row(Text(key), Text(description))
        table.add_row("", "")
    return table


class HelpScreen(ModalScreen[None]):
    """Closes on any of ``q``, ``esc`` or ``?``."""

    BINDINGS = [Binding("q,escape,question_mark", "close", "Close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog help") as box:
            box.border_title = "Keys"
            yield Static(help_table())

    def action_close(self) -> None:
        self.dismiss(None)
