"""Build the console: ``main`` uses it with the real clock; tests with a fixed clock and no loop."""

from __future__ import annotations

from collections.abc import Callable

from queuectl_tui.app import QueueApp


def make_app(
    url: str,
    *,
    clock: Callable[[], float] | None = None,
    live: bool = True,
    workers: int = 0,
    readonly: bool = False,
    interval: float = 1.0,
) -> QueueApp:
    """A console over the store at ``url``.

    ``live=False`` turns the refresh loop off: call ``await app.refresh_data(force=True)``
    instead. ``workers`` > 0 hosts that many worker slots in this process.
    """
    return QueueApp(
        url, clock=clock, live=live, workers=workers, readonly=readonly, interval=interval
    )
