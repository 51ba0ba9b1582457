"""Screens that show live data: the app's refresh loop asks the top one to reload."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar, cast

from textual import events
from textual.screen import Screen
from textual.widgets import DataTable

from queuectl_tui.console import Console

T = TypeVar("T")


def row_item(table: DataTable[object], items: Sequence[T]) -> T | None:
    """The item under the cursor of a table whose rows are ``items`` in order (a pane refills
    both together), or None when the table is empty or not yet filled."""
    if 0 <= table.cursor_row < min(len(items), table.row_count):
        return items[table.cursor_row]
    return None


class LiveScreen(Screen[None]):
    """A full screen refreshed by the app; ``reload`` must be cheap when ``changed`` is False.

    It never writes: it posts requests (``queuectl_tui.requests``) up to the app's gate.
    """

    @property
    def console(self) -> Console:
        return cast(Console, self.app)

    @property
    def alive(self) -> bool:
        """On the app and running: False once popped, or while the app shuts down.

        A removed screen's message loop stops first; then Textual removes its widgets, and only
        then cancels its workers. A reload or worker that awaited the store must not draw once
        this is False: its ``query_one`` would find nothing (``NoMatches``)."""
        return self.is_attached and self.is_running

    #: Actions whose availability depends on the data; the footer is redrawn only when it moves.
    DYNAMIC_ACTIONS: tuple[str, ...] = ()
    _availability: tuple[bool | None, ...] | None = None

    def sync_bindings(self) -> None:
        """``refresh_bindings`` only when an action's availability changed (the footer
        rebuilds itself on every call, which is far from free)."""
        availability = tuple(self.check_action(a, ()) for a in self.DYNAMIC_ACTIONS)
        if availability != self._availability:
            self._availability = availability
            self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """What the gate allows; screens add what their data allows."""
        return self.console.allows(action) or None

    async def reload(self, changed: bool) -> None:
        """Re-query what this screen shows (``changed``: the store moved), or just re-render."""

    def on_key(self, event: events.Key) -> None:
        """A write key in a read-only console says so: its binding is greyed out, so without
        this the key would do nothing and say nothing."""
        for binding in self._bindings.key_to_bindings.get(event.key, ()):
            action = binding.action.split("(")[0]
            if not self.console.allows(action) and self.console.refuses(
                binding.description.lower()
            ):
                event.stop()
                return

    def on_screen_resume(self) -> None:
        self.console.request_refresh()
