"""Workers pane: every registered worker process, stale ones flagged; hosted slots managed here."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from queuectl_core.models import WorkerInfo
from queuectl_core.present import span
from queuectl_tui import requests as rq
from queuectl_tui.screens.base import LiveScreen
from queuectl_tui.snapshot import Snapshot
from queuectl_tui.text import clean_line
from queuectl_tui.theme import variable
from queuectl_tui.widgets.key_footer import KeyFooter

_COLUMNS = ("worker", "host", "pid", "slots", "queues", "running", "heartbeat", "status")


class WorkersScreen(LiveScreen):
    """``s`` starts hosted slots, ``+``/``-`` scale them, ``x`` stops them gracefully."""

    AUTO_FOCUS = "#workers"
    DYNAMIC_ACTIONS = ("start", "stop", "scale")
    NARROW_KEYS = frozenset({"start", "stop", "scale"})
    BINDINGS = [
        Binding("q,escape", "back", "Back"),
        Binding("s", "start", "Start hosted"),
        Binding("plus,equals_sign", "scale(1)", "More slots", key_display="+"),
        Binding("minus", "scale(-1)", "Fewer slots", key_display="-"),
        Binding("x", "stop", "Stop hosted"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._shown: tuple[list[tuple[str, list[Text]]], Text] | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="hosted")
        yield DataTable[Text](id="workers", cursor_type="row", zebra_stripes=True)
        yield KeyFooter()

    def on_mount(self) -> None:
        table = self.query_one("#workers", DataTable)
        for label in _COLUMNS:
            table.add_column(label, key=label)
        self.console.request_refresh()

    async def reload(self, changed: bool) -> None:
        snapshot = self.console.snapshot
        if snapshot is not None:
            self._show(snapshot)
        self.sync_bindings()

    def _show(self, snapshot: Snapshot) -> None:
        table = self.query_one("#workers", DataTable)
        hosted = self.console.hosted_view
        hosted_id = hosted.worker_id if hosted is not None else None
        rows = [(w.id, self._cells(w, snapshot, hosted_id)) for w in snapshot.workers]
        hosted_line = self._hosted_line(snapshot)
        if (rows, hosted_line) == self._shown:
            return  # an idle pane writes nothing to the terminal
        self._shown = (rows, hosted_line)
        row = table.cursor_row
        table.clear()
        for key, cells in rows:
            table.add_row(*cells, key=key)
        if table.row_count:
            table.move_cursor(row=min(row, table.row_count - 1), animate=False)
        self.query_one("#hosted", Static).update(hosted_line)

    def _cells(self, worker: WorkerInfo, snapshot: Snapshot, hosted_id: str | None) -> list[Text]:
        hosted = self.console.hosted_view
        slots = hosted.slots if hosted is not None and worker.id == hosted_id else worker.slots
        if snapshot.is_stale(worker):
            status = Text("STALE", style=f"{variable(self.app, 'error')} bold")
        elif worker.stop_requested:
            status = Text("stopping", style=variable(self.app, "warning"))
        else:
            status = Text("live", style=variable(self.app, "success"))
        if worker.id == hosted_id:
            status.append(" (here)")
        jobs = ", ".join(worker.current_jobs) or "-"
        return [
            Text(clean_line(worker.id, 40)),
            Text(clean_line(worker.host, 30)),
            Text(str(worker.pid), justify="right"),
            Text(f"{len(worker.current_jobs)}/{slots}", justify="right"),
            Text(clean_line(",".join(worker.queues) or "all", 30)),
            Text(clean_line(jobs, 60), no_wrap=True, overflow="ellipsis"),
            Text(f"{span(snapshot.now - worker.heartbeat_at)} ago", justify="right"),
            status,
        ]

    def _hosted_line(self, snapshot: Snapshot) -> Text:
        hosted = self.console.hosted_view
        line = Text(no_wrap=True, overflow="ellipsis")
        line.append(f"{len(snapshot.live_workers)} live, {len(snapshot.workers)} registered. ")
        if self.console.readonly or hosted is None:
            line.append("This console hosts no workers (read-only).", style="dim")
        elif hosted.running:
            line.append(f"This console hosts {hosted.slots} slot(s): + / - scale, x stops.")
        else:
            line.append("This console hosts no workers: s starts some here.", style="dim")
        return line

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if not self.console.allows(action):
            return None
        hosted = self.console.hosted_view
        if action == "start":
            return (hosted is not None and not hosted.running) or None
        if action in ("stop", "scale"):
            return (hosted is not None and hosted.running) or None
        return True

    def action_start(self) -> None:
        self.post_message(rq.WorkersStartRequested())

    def action_scale(self, step: int) -> None:
        self.post_message(rq.WorkersScaleRequested(step))

    def action_stop(self) -> None:
        self.post_message(rq.WorkersStopRequested())

    def action_back(self) -> None:
        self.dismiss()
