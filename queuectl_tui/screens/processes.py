"""Process pane (``t``): what the running jobs' processes do now, and signals to send them.

Rows are ``queuectl top``'s, sampled by each job's own worker at its heartbeat. ``k`` opens a
picker of the allowed signals; the choice goes up to the app's gate as a ``SignalRequested``
(refused in a read-only console; TERM and KILL are confirmed first).
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, OptionList, Static
from textual.widgets.option_list import Option

from queuectl_core.processes import JobSignal, RunningJob, human_bytes, human_seconds, top_dict
from queuectl_tui import requests as rq
from queuectl_tui.screens.base import LiveScreen, row_item
from queuectl_tui.text import clean_line
from queuectl_tui.widgets.key_footer import KeyFooter

_COLUMNS = ("id", "pid", "procs", "cpu%", "rss", "elapsed", "left", "worker", "command")
#: What each signal usually means to a command, as the picker explains it.
MEANINGS = {
    JobSignal.TERM: "terminate (the job fails: killed by SIGTERM)",
    JobSignal.INT: "interrupt, as Ctrl+C would",
    JobSignal.HUP: "hang up (many daemons reload)",
    JobSignal.USR1: "user signal 1 (command-defined)",
    JobSignal.USR2: "user signal 2 (command-defined)",
    JobSignal.STOP: "pause every process (its timeout still runs)",
    JobSignal.CONT: "resume a paused job",
    JobSignal.KILL: "kill at once (the job fails: killed by SIGKILL)",
}


class ProcessesScreen(LiveScreen):
    """Running jobs with pid, process count, CPU, memory, elapsed and time left."""

    AUTO_FOCUS = "#processes"
    DYNAMIC_ACTIONS = ("signal",)
    NARROW_KEYS = frozenset({"signal"})
    BINDINGS = [
        Binding("q,escape", "back", "Back"),
        Binding("k", "signal", "Signal"),
        Binding("enter", "detail", "Detail", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.jobs: list[RunningJob] = []
        self._shown: list[tuple[str, list[Text]]] | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="processes-summary")
        yield DataTable[Text](id="processes", cursor_type="row", zebra_stripes=True)
        yield KeyFooter()

    def on_mount(self) -> None:
        table = self.query_one("#processes", DataTable)
        for label in _COLUMNS:
            table.add_column(label, key=label)
        self.console.request_refresh()

    async def reload(self, changed: bool) -> None:
        if changed or self._shown is None:
            self.jobs = await self.console.reads.running_jobs()
        self._show(self.console.clock())
        self.sync_bindings()

    def _show(self, now: float) -> None:
        rows = [(job.id, _cells(top_dict(job, now))) for job in self.jobs]
        if rows == self._shown:
            return
        self._shown = rows
        table = self.query_one("#processes", DataTable)
        row = table.cursor_row
        table.clear()
        for key, cells in rows:
            table.add_row(*cells, key=key)
        if table.row_count:
            table.move_cursor(row=min(row, table.row_count - 1), animate=False)
        total = sum(j.sample.rss_bytes for j in self.jobs if j.sample is not None)
        summary = f"{len(self.jobs)} running, {human_bytes(total)} resident; "
        summary += "k signals the selected job's process group"
        line = Text(summary, no_wrap=True, overflow="ellipsis")
        self.query_one("#processes-summary", Static).update(line)

    @property
    def selected(self) -> RunningJob | None:
        return row_item(self.query_one("#processes", DataTable), self.jobs)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if not self.console.allows(action):
            return None
        if action in ("signal", "detail"):
            return self.selected is not None or None
        return True

    def action_signal(self) -> None:
        if (job := self.selected) is not None:
            self.post_message(rq.SignalRequested(job.id, job.command))

    def action_detail(self) -> None:
        if (job := self.selected) is not None:
            self.post_message(rq.DetailRequested(job.id))

    def action_back(self) -> None:
        self.dismiss()


def _cells(row: dict[str, object]) -> list[Text]:
    def number(key: str) -> Text:
        value = row[key]
        return Text("-" if value is None else str(value), justify="right")

    return [
        Text(clean_line(str(row["id"]), 30)),
        number("pid"),
        number("processes"),
        number("cpu_percent"),
        Text(human_bytes(row["rss_bytes"]), justify="right"),  # type: ignore[arg-type]
        Text(human_seconds(row["elapsed"]), justify="right"),  # type: ignore[arg-type]
        Text(human_seconds(row["timeout_left"]), justify="right"),  # type: ignore[arg-type]
        Text(clean_line(str(row["worker"] or "-"), 24)),
        Text(clean_line(str(row["command"]), 60), no_wrap=True, overflow="ellipsis"),
    ]


class SignalPicker(ModalScreen[JobSignal | None]):
    """The allowed signals; enter picks one, esc/q picks none."""

    BINDINGS = [Binding("escape,q", "pick_none", "Close")]

    def __init__(self, job_id: str, command: str) -> None:
        super().__init__(classes="dialog-screen")
        self._job_id = job_id
        self._command = command

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog") as box:
            box.border_title = "Send a signal"
            question = Text.assemble("To job ", (clean_line(self._job_id, 50), "bold"), "\n")
            question.append(clean_line(self._command, 60), style="italic")
            yield Static(question, classes="question")
            yield OptionList(
                *[Option(f"{s.full_name:<8} {MEANINGS[s]}", id=s.value) for s in JobSignal],
                id="signals",
            )

    def on_mount(self) -> None:
        self.query_one("#signals", OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(JobSignal(event.option.id or JobSignal.CONT.value))

    def action_pick_none(self) -> None:
        self.dismiss(None)
