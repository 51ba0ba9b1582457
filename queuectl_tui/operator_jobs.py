"""The operator's job requests: retry (one job or the DLQ), cancel, purge, enqueue, and signal a
running job. Part of ``Operator`` (see ``operator.py``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from rich.text import Text
from textual.app import App

from queuectl_core.models import JobSpec, JobState
from queuectl_core.present import thousands
from queuectl_core.processes import ENDING_SIGNALS, JobSignal
from queuectl_core.signalling import outcome, send_signal
from queuectl_core.store.base import Store
from queuectl_tui import requests as rq
from queuectl_tui.screens.enqueue import EnqueueScreen
from queuectl_tui.screens.processes import SignalPicker
from queuectl_tui.screens.purge import PurgeRequest, PurgeScreen
from queuectl_tui.snapshot import Snapshot
from queuectl_tui.text import clean_line

T = TypeVar("T")
#: How long the console waits for a worker to deliver a signal (seconds).
SIGNAL_TIMEOUT = 10.0


class JobOperations:
    """Needs the app, its clock, the store, the snapshot, and ``Operator``'s confirm and act."""

    app: App[None]
    clock: Callable[[], float]
    _store: Callable[[], Store]
    _snapshot: Callable[[], Snapshot | None]

    def act(self, call: Callable[[], Awaitable[T]], done: Callable[[T], str]) -> None:
        raise NotImplementedError

    def _confirm(self, title: str, question: Text, yes: str, then: Callable[[], None]) -> None:
        raise NotImplementedError

    def retry(self, request: rq.RetryRequested) -> None:
        ids = list(request.job_ids)
        shown = clean_line(", ".join(ids), 60)
        self.act(lambda: self._store().retry(ids), lambda _: f"{shown} is pending again")

    def retry_dead(self, _: rq.RetryDeadRequested) -> None:
        snapshot = self._snapshot()
        dead = snapshot.count(JobState.DEAD) if snapshot else 0
        if dead == 0:
            self.app.notify("The DLQ is empty.")
            return
        question = Text.assemble(
            "Retry ",
            (f"all {thousands(dead)}", "bold"),
            f" job{'s' * (dead != 1)} in the DLQ?\n",
            "Each starts over with a full set of attempts.",
        )
        self._confirm(
            "Retry the DLQ",
            question,
            "Retry all",
            lambda: self.act(
                self._store().retry_all_dead, lambda n: f"{thousands(n)} jobs moved to pending"
            ),
        )

    def cancel(self, request: rq.CancelRequested) -> None:
        job = request.job
        question = Text.assemble("Cancel job ", (clean_line(job.id, 60), "bold"), "?\n")
        question.append(clean_line(job.command, 60), style="italic")
        if job.state == JobState.PROCESSING:
            question.append("\nIt is running: its whole process tree will be killed.")
        self._confirm(
            "Cancel job",
            question,
            "Cancel job",
            lambda: self.act(lambda: self._store().cancel([job.id]), lambda _: "cancelled"),
        )

    def purge(self, request: rq.PurgeRequested) -> None:
        """Delete finished jobs (states and age chosen in the dialog, which defaults to No)."""
        clock = self.clock

        def answered(chosen: PurgeRequest | None) -> None:
            if chosen is not None:
                self.act(
                    lambda: self._store().purge(chosen.states, clock() - chosen.older_than),
                    lambda n: f"deleted {thousands(n)} jobs",
                )

        async def count(chosen: PurgeRequest) -> int:
            return await self._store().count_purgeable(chosen.states, clock() - chosen.older_than)

        self.app.push_screen(PurgeScreen(request.view, count), answered)

    def enqueue(self, _: rq.EnqueueRequested) -> None:
        def answered(spec: JobSpec | None) -> None:
            if spec is not None:
                self.act(
                    lambda: self._store().enqueue([spec]), lambda jobs: f"enqueued {jobs[0].id}"
                )

        self.app.push_screen(EnqueueScreen(self.clock), answered)

    def signal(self, request: rq.SignalRequested) -> None:
        """Pick a signal, confirm the ones that end the job, send it and report the delivery."""
        job_id = request.job_id

        def send(chosen: JobSignal) -> None:
            async def call() -> str:
                status = await send_signal(self._store(), job_id, chosen, SIGNAL_TIMEOUT)
                return outcome(job_id, chosen, status, SIGNAL_TIMEOUT)

            self.act(call, lambda line: line)

        def picked(chosen: JobSignal | None) -> None:
            if chosen is None:
                return
            if chosen not in ENDING_SIGNALS:
                send(chosen)
                return
            question = Text.assemble(
                f"Send {chosen.full_name} to job ", (clean_line(job_id, 50), "bold"), "?\n"
            )
            question.append(clean_line(request.command, 60), style="italic")
            question.append("\nEvery process of the job gets it; the attempt fails if it dies.")
            self._confirm(
                f"Send {chosen.full_name}", question, chosen.full_name, lambda: send(chosen)
            )

        self.app.push_screen(SignalPicker(job_id, request.command), picked)
