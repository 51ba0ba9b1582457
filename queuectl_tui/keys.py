"""The app's own keys (the help screen lists them beside each screen's)."""

from __future__ import annotations

from textual.binding import Binding, BindingType

APP_BINDINGS: list[BindingType] = [
    Binding("ctrl+c", "quit", "Quit now (jobs untouched)", show=False, priority=True),
    Binding("question_mark", "help", "Help", key_display="?"),
]
