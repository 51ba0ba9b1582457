"""Screens that show live data: the app's refresh loop asks the top one to reload."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual.screen import Screen

if TYPE_CHECKING:
    from queuectl_tui.app import QueueApp


class LiveScreen(Screen[None]):
    """A full screen refreshed by the app; ``reload`` must be cheap when ``changed`` is False."""

    @property
    def queue_app(self) -> QueueApp:
        return cast("QueueApp", self.app)

    async def reload(self, changed: bool) -> None:
        """Re-query what this screen shows (``changed``: the store moved), or just re-render."""

    def on_screen_resume(self) -> None:
        self.queue_app.request_refresh()
