"""The app's side of every request: confirm, write through the store, report, refresh.

Only ``QueueApp.on_request`` calls ``Operator.handle``, after the read-only check; each write
runs in a worker (never in a message handler), a ``QueueError`` becomes one error
notification, and the app refreshes right after its own write. ``_HANDLERS`` is the message
map. The job requests are in ``operator_jobs``, the bulk and failure-group ones in
``operator_bulk``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar, cast

from rich.text import Text
from textual.app import App
from textual.screen import Screen

from queuectl_core.errors import QueueError
from queuectl_core.store.base import Store
from queuectl_tui import requests as rq
from queuectl_tui.hosting import HostedWorkers
from queuectl_tui.operator_bulk import BulkOperations
from queuectl_tui.operator_jobs import JobOperations
from queuectl_tui.screens.config import ConfigScreen
from queuectl_tui.screens.confirm import ConfirmScreen
from queuectl_tui.screens.detail import DetailScreen
from queuectl_tui.screens.failures import FailuresScreen
from queuectl_tui.screens.help import HelpScreen
from queuectl_tui.screens.processes import ProcessesScreen
from queuectl_tui.screens.queues import LimitPrompt, QueuesScreen
from queuectl_tui.screens.schedules import SchedulesScreen
from queuectl_tui.screens.workers import WorkersScreen
from queuectl_tui.snapshot import Snapshot
from queuectl_tui.text import clean_line

T = TypeVar("T")
R = TypeVar("R", bound=rq.Request)
Handler = Callable[["Operator", rq.Request], Awaitable[None] | None]


class Operator(JobOperations, BulkOperations):
    """Carries out requests for ``app`` over the store it opened."""

    def __init__(
        self,
        app: App[None],
        clock: Callable[[], float],
        store: Callable[[], Store],
        snapshot: Callable[[], Snapshot | None],
        refresh: Callable[[], Awaitable[None]],
        hosted: HostedWorkers | None,
        default_slots: int,
    ) -> None:
        self.app = app
        self.clock = clock
        self._store = store
        self._snapshot = snapshot
        self._refresh = refresh
        self.hosted = hosted
        self.default_slots = default_slots

    def handle(self, request: rq.Request) -> None:
        """Carry ``request`` out; anything that waits on I/O runs in a worker."""
        result = _HANDLERS[type(request)](self, request)
        if result is not None:
            self.app.run_worker(result, group="actions")

    def act(self, call: Callable[[], Awaitable[T]], done: Callable[[T], str]) -> None:
        """Run one store write in a worker; report it; refresh right after."""

        async def run() -> None:
            try:
                result = await call()
            except QueueError as exc:
                self.app.notify(str(exc), title="failed", severity="error", markup=False)
            else:
                self.app.notify(done(result), markup=False)
            await self._refresh()

        self.app.run_worker(run(), group="actions")

    def _confirm(self, title: str, question: Text, yes: str, then: Callable[[], None]) -> None:
        def answered(answer: bool | None) -> None:
            if answer:
                then()

        self.app.push_screen(ConfirmScreen(title, question, yes), answered)

    # --- writes ------------------------------------------------------------------------------
    def set_config(self, request: rq.ConfigChangeRequested) -> None:
        name, value = request.name, request.value
        self.act(
            lambda: self._store().set_config(name, value),
            lambda _: f"{name.replace('_', '-')} = {value}",
        )

    def pause_schedule(self, request: rq.SchedulePauseRequested) -> None:
        name, paused = request.name, request.paused
        verb = "paused" if paused else "resumed"
        shown = clean_line(name, 60)
        self.act(lambda: self._store().pause_schedule(name, paused), lambda _: f"{verb} {shown}")

    def run_schedule(self, request: rq.ScheduleRunRequested) -> None:
        name = request.name
        self.act(lambda: self._store().run_schedule(name), lambda job: f"enqueued {job.id}")

    def remove_schedule(self, request: rq.ScheduleRemoveRequested) -> None:
        name = request.name
        question = Text.assemble("Remove schedule ", (clean_line(name, 60), "bold"), "?\n")
        question.append(clean_line(request.rule, 60), style="italic")
        question.append("\nThe jobs it already fired stay.")
        self._confirm(
            "Remove schedule",
            question,
            "Remove",
            lambda: self.act(
                lambda: self._store().remove_schedule(name),
                lambda _: f"removed {clean_line(name, 60)}",
            ),
        )

    def pause_queue(self, request: rq.QueuePauseRequested) -> None:
        name, paused = request.name, request.paused
        shown = clean_line(name, 40)
        self.act(
            lambda: self._store().set_paused([name], paused),
            lambda _: f"{shown} {'paused' if paused else 'resumed'}",
        )

    def limit_queue(self, request: rq.QueueLimitRequested) -> None:
        name, shown = request.name, clean_line(request.name, 40)

        def answered(limit: int | None) -> None:
            if limit is not None:
                self.act(
                    lambda: self._store().set_concurrency(name, limit),
                    lambda _: (
                        f"{shown}: at most {limit} at once" if limit else f"{shown}: no limit"
                    ),
                )

        self.app.push_screen(LimitPrompt(name, request.current), answered)

    # --- this console's own workers ----------------------------------------------------------
    async def start_workers(self, _: rq.WorkersStartRequested) -> None:
        if self.hosted is not None:
            await self.hosted.start(self.default_slots)
            self.app.notify(f"started {self.hosted.slots} hosted worker slot(s)")
            await self._refresh()

    async def scale_workers(self, request: rq.WorkersScaleRequested) -> None:
        if self.hosted is not None and self.hosted.running:
            self.hosted.scale(self.hosted.slots + request.step)
            self.app.notify(f"hosted slots: {self.hosted.slots}")
            await self._refresh()

    async def stop_workers(self, _: rq.WorkersStopRequested) -> None:
        if self.hosted is not None:
            self.hosted.stop()
            self.app.notify("hosted workers stop after their running jobs")
            await self._refresh()

    # --- navigation --------------------------------------------------------------------------
    def detail(self, request: rq.DetailRequested) -> None:
        self.app.push_screen(DetailScreen(request.job_id, follow=request.follow))

    def quit(self, _: rq.QuitRequested) -> None:
        """Leave at once, unless this console's own workers are running jobs: then ask."""
        running = self.hosted.running_jobs if self.hosted is not None else []
        if not running:
            self.app.exit()
            return
        count = len(running)
        question = Text.assemble(
            "This console's workers are running ",
            (f"{count} job{'s' * (count != 1)}", "bold"),
            f": {clean_line(', '.join(running[:3]), 60)}{', ...' * (count > 3)}\n",
            "Quitting kills them; each goes back to pending with no attempt spent, ",
            "and runs again on the next worker.",
        )
        self._confirm("Quit", question, "Quit", self.app.exit)


def _entry(handler: Callable[[Operator, R], Awaitable[None] | None]) -> Handler:
    """Typed per request in ``Operator``; ``_HANDLERS`` pairs each with its own type."""
    return cast(Handler, handler)


def _push(screen: Callable[[], Screen[None]]) -> Handler:
    def handler(operator: Operator, _: rq.Request) -> None:
        operator.app.push_screen(screen())

    return handler


#: The message map: each request type and what carries it out.
_HANDLERS: dict[type[rq.Request], Handler] = {
    rq.RetryRequested: _entry(Operator.retry),
    rq.RetryDeadRequested: _entry(Operator.retry_dead),
    rq.CancelRequested: _entry(Operator.cancel),
    rq.PurgeRequested: _entry(Operator.purge),
    rq.EnqueueRequested: _entry(Operator.enqueue),
    rq.ConfigChangeRequested: _entry(Operator.set_config),
    rq.WorkersStartRequested: _entry(Operator.start_workers),
    rq.WorkersScaleRequested: _entry(Operator.scale_workers),
    rq.WorkersStopRequested: _entry(Operator.stop_workers),
    rq.SignalRequested: _entry(Operator.signal),
    rq.QueuePauseRequested: _entry(Operator.pause_queue),
    rq.QueueLimitRequested: _entry(Operator.limit_queue),
    rq.DetailRequested: _entry(Operator.detail),
    rq.ProcessesScreenRequested: _push(ProcessesScreen),
    rq.SchedulesScreenRequested: _push(SchedulesScreen),
    rq.SchedulePauseRequested: _entry(Operator.pause_schedule),
    rq.ScheduleRunRequested: _entry(Operator.run_schedule),
    rq.ScheduleRemoveRequested: _entry(Operator.remove_schedule),
    rq.ConfigScreenRequested: _push(ConfigScreen),
    rq.WorkersScreenRequested: _push(WorkersScreen),
    rq.QueuesScreenRequested: _push(QueuesScreen),
    rq.HelpRequested: _push(HelpScreen),
    rq.BulkRequested: _entry(Operator.bulk),
    rq.GroupJobsRequested: _entry(Operator.show_group),
    rq.FailuresScreenRequested: _push(FailuresScreen),
    rq.QuitRequested: _entry(Operator.quit),
}
