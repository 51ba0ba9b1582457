"""Counts by state, workers, success rate and the jobs-per-minute sparkline."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Sparkline, Static

from queuectl_core.models import JobState
from queuectl_core.present import thousands
from queuectl_tui.snapshot import Snapshot
from queuectl_tui.theme import state_style, variable

_LABELS = {JobState.PROCESSING: "running"}


def _pack(items: list[Text], width: int, gap: str = "   ") -> Text:
    """Lay items out left to right, breaking lines between items, never inside one."""
    lines: list[Text] = [Text()]
    for item in items:
        line = lines[-1]
        if line.cell_len and line.cell_len + len(gap) + item.cell_len > width:
            lines.append(Text())
            line = lines[-1]
        if line.cell_len:
            line.append(gap)
        line.append_text(item)
    return Text("\n").join(lines)


class CountsPane(Horizontal):
    """Live counts; watches the app's ``snapshot``."""

    def compose(self) -> ComposeResult:
        yield Static(id="counts")
        with Vertical(id="rate"):
            yield Static(id="rate-label")
            yield Sparkline([0.0] * 60, id="spark")

    def on_mount(self) -> None:
        self.watch(self.app, "snapshot", self.show, init=True)

    def on_resize(self) -> None:
        self.show(getattr(self.app, "snapshot", None))

    def show(self, snapshot: Snapshot | None) -> None:
        """Render the counts of ``snapshot`` (None: still loading)."""
        if snapshot is None:
            self.query_one("#counts", Static).update("loading…")
            return
        items: list[Text] = []
        for state in JobState:
            label = _LABELS.get(state, str(state))
            items.append(
                Text.assemble(
                    ("● ", state_style(self.app, state)),
                    f"{label} ",
                    (thousands(snapshot.count(state)), "bold"),
                )
            )
        live = len(snapshot.live_workers)
        stale = len(snapshot.workers) - live
        workers = Text.assemble("workers ", (str(live), "bold"))
        if stale:
            workers.append(f" (+{stale} stale)", style=variable(self.app, "warning"))
        items.append(workers)
        counts = _pack(items, self.query_one("#counts", Static).size.width or 80)
        self.query_one("#counts", Static).update(counts)
        self.query_one("#rate-label", Static).update(self._rate(snapshot))
        if snapshot.metrics is not None:
            spark = self.query_one("#spark", Sparkline)
            spark.data = [float(n) for n in snapshot.metrics.per_minute_last_hour]

    @staticmethod
    def _rate(snapshot: Snapshot) -> Text:
        metrics = snapshot.metrics
        text = Text(no_wrap=True, overflow="ellipsis")
        if metrics is None:
            return text
        rate = "-" if metrics.success_rate is None else f"{metrics.success_rate:.1%}"
        text.append("success ")
        text.append(rate, style="bold")
        text.append(f"  {metrics.completed_last_minute}/min  {metrics.completed_last_hour}/h")
        return text
