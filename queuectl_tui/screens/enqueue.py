"""Enqueue dialog: the core's own validator checks every keystroke; errors show inline."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from queuectl_core.errors import InvalidInput
from queuectl_core.models import JobSpec
from queuectl_core.validation import spec_from_object

#: (field, label, placeholder). Empty fields are left out, so the core's defaults apply.
FIELDS = [
    ("command", "command", "shell command, run with /bin/sh -c"),
    ("id", "id", "generated"),
    ("priority", "priority", "0 (higher runs first)"),
    ("max_retries", "max retries", "config max_retries"),
    ("timeout", "timeout", "seconds (config default_timeout)"),
    ("delay", "delay", "now; or 30s, 5m, 2h, 1d"),
    ("queue", "queue", "default"),
]
_NUMBERS = {"priority", "max_retries", "timeout"}


def _value(name: str, text: str) -> object:
    """Numbers as JSON would give them; anything else as text for the validator to judge."""
    if name in _NUMBERS or name == "delay":
        for kind in (int, float):
            try:
                return kind(text)
            except ValueError:
                continue
    return text


class EnqueueScreen(ModalScreen[JobSpec | None]):
    """Returns the validated spec, or None when dismissed."""

    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("ctrl+s", "submit", "Enqueue"),
    ]

    def __init__(self, clock: Callable[[], float]) -> None:
        super().__init__(classes="dialog-screen")
        self._clock = clock

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog form") as box:
            box.border_title = "New job"
            for name, label, placeholder in FIELDS:
                with Horizontal(classes="row"):
                    yield Label(label)
                    yield Input(placeholder=placeholder, id=f"f-{name}")
            yield Static("command is required", id="problem")
            with Horizontal(classes="buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Enqueue (ctrl+s)", id="submit", variant="primary", disabled=True)

    def spec(self) -> JobSpec:
        """The form as a spec; raises ``InvalidInput`` with the core's one-line message."""
        data: dict[str, object] = {}
        for name, _, _ in FIELDS:
            text = self.query_one(f"#f-{name}", Input).value.strip()
            if name == "command":
                text = self.query_one(f"#f-{name}", Input).value
            if text:
                data[name] = _value(name, text)
        return spec_from_object(data)

    @on(Input.Changed)
    def _validate(self) -> None:
        problem = self.query_one("#problem", Static)
        try:
            self.spec()
        except InvalidInput as exc:
            problem.update(Text(str(exc)))
            problem.set_class(True, "-error")
            self.query_one("#submit", Button).disabled = True
        else:
            problem.update("ok")
            problem.set_class(False, "-error")
            self.query_one("#submit", Button).disabled = False

    @on(Input.Submitted)
    def _next(self) -> None:
        self.action_submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "submit":
            self.action_submit()
        else:
            self.dismiss(None)

    def action_submit(self) -> None:
        try:
            spec = self.spec()
        except InvalidInput as exc:
            self.query_one("#problem", Static).update(Text(str(exc)))
            return
        self.dismiss(spec)

    def action_close(self) -> None:
        self.dismiss(None)
