"""Purge dialog: delete finished jobs by state and age. It is its own confirm; default is No."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Static

from queuectl_core.errors import InvalidInput, QueueError
from queuectl_core.lifecycle import FINAL_STATES as FINISHED_STATES
from queuectl_core.models import JobState
from queuectl_core.present import thousands
from queuectl_core.time_input import parse_duration


@dataclass(frozen=True, slots=True)
class PurgeRequest:
    """Delete jobs in ``states`` that finished more than ``older_than`` seconds ago."""

    states: tuple[JobState, ...]
    older_than: float


class PurgeScreen(ModalScreen[PurgeRequest | None]):
    """Only finished states (completed, dead, cancelled) can be purged."""

    BINDINGS = [Binding("escape,n", "close", "No")]

    def __init__(
        self, view: JobState | None, count: Callable[[PurgeRequest], Awaitable[int]]
    ) -> None:
        super().__init__(classes="dialog-screen")
        self._view = view if view in FINISHED_STATES else JobState.COMPLETED
        #: Asks the store how many jobs ``request`` deletes (states and age, as purge does).
        self._count = count

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog form -danger") as box:
            box.border_title = "Delete finished jobs"
            for state in FINISHED_STATES:
                yield Checkbox(str(state), state == self._view, id=f"s-{state}")
            with Horizontal(classes="row"):
                yield Label("older than")
                yield Input("7d", placeholder="0 = any age; 30s, 5m, 2h, 7d", id="age")
            yield Static(id="problem")
            with Horizontal(classes="buttons"):
                yield Button("No", id="no", variant="primary")
                yield Button("Delete", id="yes", variant="error")

    def on_mount(self) -> None:
        self._describe()
        self.query_one("#no", Button).focus()

    def request(self) -> PurgeRequest:
        """The chosen states and age; raises ``InvalidInput``."""
        states = tuple(s for s in FINISHED_STATES if self.query_one(f"#s-{s}", Checkbox).value)
        if not states:
            raise InvalidInput("choose at least one state")
        age = parse_duration(self.query_one("#age", Input).value.strip() or "0", "older than")
        return PurgeRequest(states, age)

    @on(Checkbox.Changed)
    @on(Input.Changed)
    def _describe(self) -> None:
        problem = self.query_one("#problem", Static)
        try:
            request = self.request()
        except InvalidInput as exc:
            problem.update(Text(str(exc)))
            problem.add_class("-error")
            problem.remove_class("-warn")
            self.query_one("#yes", Button).disabled = True
            return
        problem.remove_class("-error")
        problem.add_class("-warn")
        self.query_one("#yes", Button).disabled = False
        problem.update("Counting…")
        self.run_worker(self._show_count(request), group="count", exclusive=True)

    async def _show_count(self, request: PurgeRequest) -> None:
        try:
            count = await self._count(request)
        except QueueError as exc:
            self.query_one("#problem", Static).update(Text(str(exc)))
            return
        self.query_one("#problem", Static).update(
            Text.assemble(
                "Deletes ",
                (thousands(count), "bold"),
                f" job{'s' * (count != 1)} and their output. ",
                ("This cannot be undone.", "bold"),
            )
        )

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "yes":
            try:
                self.dismiss(self.request())
            except InvalidInput:
                return
        else:
            self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)
