"""Command palette (ctrl+p): every key action of the current screen, plus the global ones."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.dom import DOMNode
from textual.screen import Screen
from textual.widget import Widget

#: Actions the palette leaves out: movement and dialog plumbing, not operator actions.
_SKIP = {"app.focus_next", "clear_search", "app.quit", "quit_app"}


def _bindings(node: DOMNode) -> Iterator[Binding]:
    """The node's own bindings and those of its queuectl base classes (the main screen's
    selection and sort keys live in ``JobControls``), not Textual's."""
    bindings: list[BindingType] = []
    for cls in type(node).__mro__:
        if cls.__module__.startswith("queuectl_tui"):
            bindings += cls.__dict__.get("BINDINGS", [])
    for binding in bindings:
        if isinstance(binding, Binding) and binding.description and binding.action not in _SKIP:
            yield binding


def commands_for(app: App[None], screen: Screen[object]) -> Iterator[SystemCommand]:
    """One command per binding of ``screen`` (``check_action`` still decides if it runs)."""
    seen: set[str] = set()
    owners: tuple[Widget | App[None], ...] = (screen, app)
    for owner in owners:
        for binding in _bindings(owner):
            if binding.action in seen:
                continue
            seen.add(binding.action)
            key = binding.key_display or binding.key.split(",")[0]
            yield SystemCommand(
                binding.description, f"key: {key}", partial(owner.run_action, binding.action)
            )
