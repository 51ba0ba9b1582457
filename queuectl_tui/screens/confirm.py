"""Yes/No confirmation for destructive actions; the default (focused, enter) is No."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class ConfirmScreen(ModalScreen[bool]):
    """Dismisses with True only on an explicit Yes (``y`` or the Yes button)."""

    BINDINGS = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape,q", "answer(False)", "No"),
        Binding("left,right,tab", "app.focus_next", "Switch", show=False),
    ]

    def __init__(self, title: str, question: Text | str, yes: str = "Yes") -> None:
        super().__init__(classes="dialog-screen")
        self._title = title
        self._question = question if isinstance(question, Text) else Text(question)
        self._yes = yes

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog -danger") as box:
            box.border_title = self._title
            yield Static(self._question, classes="question")
            with Horizontal(classes="buttons"):
                yield Button("No", id="no", variant="primary")
                yield Button(f"{self._yes} (y)", id="yes", variant="error")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
