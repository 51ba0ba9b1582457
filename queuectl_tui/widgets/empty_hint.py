"""What an empty store shows instead of an empty table: how to get a first job, and the demo."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

EMPTY_HINT = Text.assemble(
    ("No jobs yet.", "bold"),
    "\n\nEnqueue one with ",
    ("n", "bold"),
    ", or from a shell:  ",
    ("queuectl enqueue --command 'echo hello'", "bold"),
    "\nWorkers run them: ",
    ("w", "bold"),
    " then ",
    ("s", "bold"),
    " starts some in this console, or run ",
    ("queuectl worker", "bold"),
    ".\nFor a tour with sample jobs and workers:  ",
    ("queuectl-tui --demo", "bold"),
)


class EmptyHint(Static):
    """Shown by the main screen (class ``-empty``) while the store holds no job at all."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(EMPTY_HINT, id=id)
