"""``queuectl-tui``: the operator console (build it with ``factory.make_app``; ``main`` runs it)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterable

from textual import events
from textual.app import App, SystemCommand
from textual.css.query import NoMatches
from textual.reactive import var
from textual.screen import ModalScreen, Screen

from queuectl_core.errors import QueueError
from queuectl_core.store.base import Store
from queuectl_core.store.open import open_store
from queuectl_tui.console import HostedView, Reads
from queuectl_tui.hosting import HostedWorkers
from queuectl_tui.keys import APP_BINDINGS
from queuectl_tui.operator import Operator
from queuectl_tui.palette import commands_for
from queuectl_tui.requests import WRITE_ACTIONS, HelpRequested, Request
from queuectl_tui.screens.base import LiveScreen
from queuectl_tui.screens.main import MainScreen
from queuectl_tui.snapshot import Snapshot, load_snapshot

REFRESH_INTERVAL = 1.0
#: Below this width the panes collapse (fewer columns, a narrower rate pane).
NARROW = 110


class QueueApp(App[None]):
    """Owns the store, the snapshot, the one refresh loop and the one write gate
    (``on_request``); screens render from them and post requests up."""

    CSS_PATH = "app.tcss"
    TITLE = "queuectl"
    ENABLE_COMMAND_PALETTE = True
    BINDINGS = APP_BINDINGS

    snapshot: var[Snapshot | None] = var(None, always_update=True)

    def __init__(
        self,
        url: str,
        *,
        clock: Callable[[], float] | None = None,
        live: bool = True,
        workers: int = 0,
        readonly: bool = False,
        interval: float = REFRESH_INTERVAL,
    ) -> None:
        super().__init__()
        self.url = url
        self.clock = clock or time.time
        self.live = live
        self.readonly = readonly
        self.interval = interval
        #: None in a read-only console: it hosts no workers at all.
        self.hosted = None if readonly else HostedWorkers(url)
        self._start_workers = workers
        #: Slots the workers pane starts when asked (``s``).
        self.default_slots = workers or 2
        self._store: Store | None = None
        self._token: int | None = None
        self.forced = False
        self._lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self.ready = asyncio.Event()
        self.operator = Operator(
            self,
            self.clock,
            lambda: self.store,
            lambda: self.snapshot,
            lambda: self.refresh_data(force=True),
            self.hosted,
            self.default_slots,
        )

    @property
    def store_open(self) -> bool:
        return self._store is not None

    @property
    def store(self) -> Store:
        if self._store is None:
            raise RuntimeError("store not open yet")
        return self._store

    @property
    def reads(self) -> Reads:
        """The store's queries, as screens see it."""
        return self.store

    @property
    def hosted_view(self) -> HostedView | None:
        return self.hosted

    def on_resize(self, event: events.Resize) -> None:
        narrow = event.size.width < NARROW
        if narrow != self.has_class("-narrow"):
            self.set_class(narrow, "-narrow")
            self.screen.refresh_bindings()  # the footer shows fewer keys when narrow

    async def on_mount(self) -> None:
        self.set_class(self.size.width < NARROW, "-narrow")
        if self.readonly:
            self.sub_title = "read-only"
        await self.push_screen(MainScreen())
        self.run_worker(self._open(), name="open", exit_on_error=True)

    async def _open(self) -> None:
        try:
            self._store = await open_store(self.url, clock=self.clock)
        except QueueError as exc:
            self.exit(message=str(exc), return_code=1)
            return
        await self.refresh_data(force=True)
        if self._start_workers and self.hosted is not None and self.allows("start"):
            await self.hosted.start(self._start_workers)
        self.ready.set()
        self.refresh_bindings()  # actions greyed out while the store was opening come alive
        if self.live:
            self.run_worker(self._refresh_loop(), name="refresh", group="refresh")

    # --- the one refresh loop ------------------------------------------------------------------
    async def _refresh_loop(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.interval)
            self._wake.clear()
            await self.refresh_data()

    def request_refresh(self) -> None:
        """Refresh soon (the loop wakes early); without the loop, refresh once in a worker."""
        if self.live:
            self._wake.set()
        elif self._store is not None:
            self.run_worker(self.refresh_data(force=True), group="refresh")

    async def refresh_data(self, force: bool = False) -> None:
        """Query the store only if it changed (or ``force``), then let the top screen reload."""
        if self._store is None:
            return
        async with self._lock:
            try:
                token = await self._store.change_token()
                changed = force or token != self._token or self.snapshot is None
                if changed:
                    self._token = token
                    self.snapshot = await load_snapshot(
                        self._store, self.snapshot, self.clock(), force=force
                    )
                screen = self._live_screen()
                if screen is not None:
                    self.forced = force
                    try:
                        await screen.reload(changed)
                    except NoMatches:
                        # The screen was popped, or the app is shutting down, while ``reload``
                        # awaited the store: its widgets are gone, there is nothing to draw. A
                        # widget missing from a screen still alive is a real bug: it raises.
                        if screen.alive:
                            raise
                    finally:
                        self.forced = False
            except QueueError as exc:
                self._token = None
                self.notify(str(exc), title="store", severity="error", markup=False)

    def _live_screen(self) -> LiveScreen | None:
        for screen in reversed(self.screen_stack):
            if isinstance(screen, LiveScreen):
                # A screen still composing has no widgets to fill; it asks for a refresh on mount.
                return screen if screen.is_mounted and screen.alive else None
        return None

    # --- the gate: the only write path and the only read-only check -------------------------
    def allows(self, action: str) -> bool:
        """False greys ``action``'s key out: a write in a read-only console, or before the
        store is open."""
        return action not in WRITE_ACTIONS or (not self.readonly and self.store_open)

    def refuses(self, what: str) -> bool:
        """In a read-only console, say so and return True."""
        if self.readonly:
            self.notify(
                f"read-only: {what} is off in this console (started with --readonly)",
                severity="warning",
            )
        return self.readonly

    def on_request(self, request: Request) -> None:
        """Every request a screen posts ends here (see ``operator._HANDLERS``)."""
        request.stop()
        if request.write and (self.refuses(request.what) or not self.store_open):
            return
        self.operator.handle(request)

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield from commands_for(self, screen)

    async def action_quit(self) -> None:
        """Leave at once; jobs are never touched (hosted slots hand theirs back as pending)."""
        self.exit()

    def action_help(self) -> None:
        if not isinstance(self.screen, ModalScreen):
            self.post_message(HelpRequested())

    async def on_unmount(self) -> None:
        if self.hosted is not None:
            await self.hosted.shutdown()
        if self._store is not None:
            await self._store.close()
