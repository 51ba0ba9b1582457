"""Job detail: every field, the attempt history, and the output of any attempt (live follow)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from queuectl_core.lifecycle import CANCELLABLE_STATES, FINAL_STATES, RETRYABLE_STATES
from queuectl_core.models import Attempt, Dependency, Job, JobState, Output
from queuectl_core.present import duration, exit_text, relative
from queuectl_core.why import Reason, explain
from queuectl_core.why_facts import gather
from queuectl_tui import requests as rq
from queuectl_tui.screens.base import LiveScreen
from queuectl_tui.text import clean_line
from queuectl_tui.theme import state_style
from queuectl_tui.widgets.job_fields import job_fields
from queuectl_tui.widgets.key_footer import KeyFooter
from queuectl_tui.widgets.log_view import LogView

_ATTEMPT = Binding.Group("attempt", compact=True)


class DetailScreen(LiveScreen):
    """One job. ``f`` follows its output live; ``s`` switches stdout/stderr."""

    AUTO_FOCUS = "#log"
    DYNAMIC_ACTIONS = ("retry", "cancel")
    NARROW_KEYS = frozenset({"follow", "stream", "attempt"})
    BINDINGS = [
        Binding("q,escape", "back", "Back"),
        Binding("f", "follow", "Follow"),
        Binding(
            "left_square_bracket", "attempt(-1)", "Earlier attempt", key_display="[", group=_ATTEMPT
        ),
        Binding(
            "right_square_bracket", "attempt(1)", "Later attempt", key_display="]", group=_ATTEMPT
        ),
        Binding("s", "stream", "stdout/stderr"),
        Binding("z", "zoom", "Zoom log"),
        Binding("r", "retry", "Retry"),
        Binding("c", "cancel", "Cancel"),
    ]

    def __init__(self, job_id: str, *, follow: bool = False) -> None:
        super().__init__()
        self.job_id = job_id
        self.follow = follow
        self.stream = "stdout"
        self.attempt: int | None = None  # None: the latest
        self.job: Job | None = None
        self._attempts: list[Attempt] = []
        self._deps: list[Dependency] = []
        self._output: Output | None = None
        self._fields_shown: tuple[object, ...] | None = None
        self._why: list[Reason] = []

    def compose(self) -> ComposeResult:
        yield Static(id="fields")
        yield Static(id="why")
        yield DataTable[Text](id="attempts", cursor_type="row", zebra_stripes=True)
        yield Static(id="log-title")
        yield LogView(id="log")
        yield KeyFooter()

    def on_mount(self) -> None:
        table = self.query_one("#attempts", DataTable)
        for label in ("#", "worker", "started", "took", "exit", "error"):
            table.add_column(label, key=label)
        self.console.request_refresh()

    async def reload(self, changed: bool) -> None:
        reads, now = self.console.reads, self.console.clock()
        if changed or self.job is None:
            first = self.job is None
            self.job = await reads.get_job(self.job_id)
            if first and self.job is not None and self.job.state == JobState.PROCESSING:
                self.follow = True  # a running job opens at the tail of its live output
            self._attempts = await reads.attempts(self.job_id) if self.job else []
            has_deps = self.job is not None and self.job.after
            self._deps = await reads.dependencies(self.job_id) if has_deps else []
            self._show_attempts(now)
            if self._output is None or self._output_live():
                await self._load_output()
        self._show_fields(now)
        await self._load_why(changed)
        self.sync_bindings()

    async def _load_why(self, changed: bool) -> None:
        """The same answer as ``queuectl why``: re-read on a change, and every refresh while the
        job waits or runs (a backoff or a busy slot ends with no change to the store)."""
        job = self.job
        if job is None or not (changed or not self._why or job.state not in FINAL_STATES):
            return
        facts = await gather(self.console.reads, self.job_id, self.console.clock())
        why = explain(facts) if facts is not None else []
        if why != self._why:
            self._why = why
            self.query_one("#why", Static).update(why_text(why))

    def _output_live(self) -> bool:
        output = self._output
        return output is None or not output.finished or output.attempt != self._wanted_attempt()

    def _wanted_attempt(self) -> int | None:
        if self.attempt is not None:
            return self.attempt
        return self._attempts[-1].attempt if self._attempts else None

    async def _load_output(self) -> None:
        wanted = self._wanted_attempt()
        self._output = (
            None if wanted is None else await self.console.reads.output(self.job_id, wanted)
        )
        if not self.alive:
            return  # popped while reading: this worker outlives the widgets (``LiveScreen.alive``)
        self._show_output()

    # --- rendering ---------------------------------------------------------------------------
    def _show_fields(self, now: float) -> None:
        fields = self.query_one("#fields", Static)
        if self.job is None:
            fields.update(Text(f"job {clean_line(self.job_id)} no longer exists", style="bold"))
            return
        job = self.job
        moments = (job.created_at, job.run_at, job.started_at, job.finished_at)
        ages = tuple(relative(m, now) for m in moments)
        shown = (job, self.size.width, self.app.theme, ages, tuple(self._deps))
        if shown == self._fields_shown:
            return  # nothing visible moved: an idle detail writes nothing to the terminal
        self._fields_shown = shown
        style = state_style(self.app, job.state)
        fields.update(job_fields(job, now, style, self.size.width, self._deps))

    def _show_attempts(self, now: float) -> None:
        table = self.query_one("#attempts", DataTable)
        row = table.cursor_row
        table.clear()
        for item in self._attempts:
            table.add_row(
                Text(str(item.attempt), justify="right"),
                Text(clean_line(item.worker_id or "-", 40)),
                Text(relative(item.started_at, now)),
                Text(duration(item.started_at, item.finished_at, now), justify="right"),
                Text(exit_text(item.exit_code) or ("running" if item.finished_at is None else "-")),
                Text(clean_line(item.error or "", 200)),
                key=str(item.attempt),
            )
        if table.row_count:
            wanted = self._wanted_attempt()
            index = next((i for i, a in enumerate(self._attempts) if a.attempt == wanted), row)
            table.move_cursor(row=index, animate=False)

    def _show_output(self) -> None:
        log = self.query_one(LogView)
        output = self._output
        title = Text(no_wrap=True, overflow="ellipsis")
        title.append(f" {self.stream} ", style="reverse bold")
        if output is None:
            title.append("  no attempts yet")
            log.show("")
        else:
            text = output.stdout if self.stream == "stdout" else output.stderr
            title.append(f"  attempt {output.attempt} of {len(self._attempts)}")
            title.append(f"  {len(text):,} chars")
            if not output.finished:
                title.append("  running", style="bold")
            log.show(text, follow=self.follow)
        if self.follow:
            title.append("  following", style="bold")
        title.append("   [ ]: attempt  s: stdout/stderr  f: follow  z: zoom", style="dim")
        self.query_one("#log-title", Static).update(title)

    # --- interaction -------------------------------------------------------------------------
    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key.value is None or not event.data_table.has_focus:
            return  # only the operator's own moves pick an attempt
        self._choose(int(event.row_key.value))

    def _choose(self, chosen: int) -> None:
        """Show attempt ``chosen``; an earlier one stops following (its output is final)."""
        latest = self._attempts[-1].attempt if self._attempts else None
        new = None if chosen == latest else chosen
        if new != self.attempt:
            self.attempt = new
            if new is not None:
                self.follow = False
            self.run_worker(self._load_output(), group="output", exclusive=True)

    def action_attempt(self, step: int) -> None:
        """``[``/``]``: the previous or next attempt, from anywhere on the screen."""
        numbers = [item.attempt for item in self._attempts]
        if not numbers:
            return
        current = self._wanted_attempt()
        index = numbers.index(current) if current in numbers else len(numbers) - 1
        index = max(0, min(len(numbers) - 1, index + step))
        self.query_one("#attempts", DataTable).move_cursor(row=index, animate=False)
        self._choose(numbers[index])

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if not self.console.allows(action):
            return None
        job = self.job
        if action == "retry":
            return (job is not None and job.state in RETRYABLE_STATES) or None
        if action == "cancel":
            return (job is not None and job.state in CANCELLABLE_STATES) or None
        return True

    def action_back(self) -> None:
        self.dismiss()

    def action_follow(self) -> None:
        self.follow = not self.follow
        if self.follow:
            self.attempt = None
            self.run_worker(self._load_output(), group="output", exclusive=True)
        else:
            self._show_output()

    def action_stream(self) -> None:
        self.stream = "stderr" if self.stream == "stdout" else "stdout"
        self.query_one(LogView).show("")
        self._show_output()

    def action_zoom(self) -> None:
        self.toggle_class("-zoom")

    def action_retry(self) -> None:
        if self.job is not None:
            self.post_message(rq.RetryRequested((self.job.id,)))

    def action_cancel(self) -> None:
        if self.job is not None:
            self.post_message(rq.CancelRequested(self.job))


def why_text(reasons: list[Reason]) -> Text:
    """``why  code  message`` lines, one per reason (as ``queuectl why`` prints them)."""
    text = Text(no_wrap=True, overflow="ellipsis")
    for index, reason in enumerate(reasons):
        if index:
            text.append("\n")
        text.append("why      " if index == 0 else "         ", style="bold")
        text.append(f"{reason.code}  ", style="bold")
        text.append(clean_line(reason.message, 300))
    return text
