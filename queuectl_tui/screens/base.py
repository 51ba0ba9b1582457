"""Screens that show live data: the app's refresh loop asks the top one to reload."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual import events
from textual.screen import Screen

from queuectl_tui.actions import WRITES

if TYPE_CHECKING:
    from queuectl_tui.app import QueueApp


class LiveScreen(Screen[None]):
    """A full screen refreshed by the app; ``reload`` must be cheap when ``changed`` is False."""

    @property
    def queue_app(self) -> QueueApp:
        return cast("QueueApp", self.app)

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

    async def reload(self, changed: bool) -> None:
        """Re-query what this screen shows (``changed``: the store moved), or just re-render."""

    def on_key(self, event: events.Key) -> None:
        """A write key in a read-only console says so: its binding is greyed out, so without
        this the key would do nothing and say nothing."""
        if not self.queue_app.readonly:
            return
        for binding in self._bindings.key_to_bindings.get(event.key, ()):
            if binding.action.split("(")[0] in WRITES:
                event.stop()
                self.queue_app.notify(
                    f"read-only: {binding.description.lower()} is off in this console "
                    "(started with --readonly)",
                    severity="warning",
                )
                return

    def on_screen_resume(self) -> None:
        self.queue_app.request_refresh()
