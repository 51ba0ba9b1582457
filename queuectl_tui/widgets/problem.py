"""The line under a validated input: the input's problem in error colours, or nothing."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from queuectl_core.errors import InvalidInput


def show_problem(line: Static, problem: InvalidInput | None) -> None:
    """Show ``problem`` on ``line`` (the validator's one-line message), or clear it."""
    if problem is None:
        line.update("")
        line.remove_class("-error")
        return
    line.update(Text(str(problem)))
    line.add_class("-error")
