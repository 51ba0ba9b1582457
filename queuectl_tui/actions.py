"""Operator actions shared by the screens and the command palette.

Each write runs in a worker (never in a message handler); a ``QueueError`` becomes one error
notification, and the app refreshes right after its own write.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text

from queuectl_core.models import Job, JobSpec, JobState
from queuectl_tui.screens.confirm import ConfirmScreen
from queuectl_tui.text import clean_line, thousands

if TYPE_CHECKING:
    from queuectl_tui.app import QueueApp
    from queuectl_tui.screens.purge import PurgeRequest

#: Actions that write to the store (or start/stop workers); all disabled by ``--readonly``.
WRITES = frozenset(
    {"retry", "retry_all", "cancel", "purge", "enqueue", "edit", "save", "start", "stop", "scale"}
)


def retry(app: QueueApp, job: Job) -> None:
    """The CLI's ``retry``: failed runs now; dead, cancelled, completed start over."""
    app.act(
        lambda: app.store.retry([job.id]),
        lambda _: f"{clean_line(job.id, 60)} is pending again",
    )


def retry_all(app: QueueApp) -> None:
    """Every job in the DLQ -> pending, after a confirm that shows how many."""
    dead = app.snapshot.count(JobState.DEAD) if app.snapshot else 0
    if dead == 0:
        app.notify("The DLQ is empty.")
        return

    def answered(yes: bool | None) -> None:
        if yes:
            app.act(app.store.retry_all_dead, lambda n: f"{thousands(n)} jobs moved to pending")

    question = Text.assemble(
        "Retry ",
        (f"all {thousands(dead)}", "bold"),
        f" job{'s' * (dead != 1)} in the DLQ?\n",
        "Each starts over with a full set of attempts.",
    )
    app.push_screen(ConfirmScreen("Retry the DLQ", question, "Retry all"), answered)


def cancel(app: QueueApp, job: Job) -> None:
    """Pending/failed -> cancelled; a running job also has its process tree killed."""

    def answered(yes: bool | None) -> None:
        if yes:
            app.act(lambda: app.store.cancel([job.id]), lambda _: "cancelled")

    question = Text.assemble("Cancel job ", (clean_line(job.id, 60), "bold"), "?\n")
    question.append(clean_line(job.command, 60), style="italic")
    if job.state == JobState.PROCESSING:
        question.append("\nIt is running: its whole process tree will be killed.")
    app.push_screen(ConfirmScreen("Cancel job", question, "Cancel job"), answered)


def purge(app: QueueApp, view: JobState | None) -> None:
    """Delete finished jobs (states and age chosen in the dialog, which defaults to No)."""
    from queuectl_tui.screens.purge import PurgeScreen

    def answered(request: PurgeRequest | None) -> None:
        if request is not None:
            app.act(
                lambda: app.store.purge(request.states, app.clock() - request.older_than),
                lambda n: f"deleted {thousands(n)} jobs",
            )

    async def count(request: PurgeRequest) -> int:
        return await app.store.count_purgeable(request.states, app.clock() - request.older_than)

    app.push_screen(PurgeScreen(view, count), answered)


def enqueue(app: QueueApp) -> None:
    from queuectl_tui.screens.enqueue import EnqueueScreen

    def answered(spec: JobSpec | None) -> None:
        if spec is not None:
            app.act(lambda: app.store.enqueue([spec]), lambda jobs: f"enqueued {jobs[0].id}")

    app.push_screen(EnqueueScreen(app.clock), answered)


def quit_console(app: QueueApp) -> None:
    """Leave at once, unless this console's own workers are running jobs: then ask (default No)."""
    running = app.hosted.running_jobs if app.hosted is not None else []
    if not running:
        app.exit()
        return

    def answered(yes: bool | None) -> None:
        if yes:
            app.exit()

    count = len(running)
    question = Text.assemble(
        "This console's workers are running ",
        (f"{count} job{'s' * (count != 1)}", "bold"),
        f": {clean_line(', '.join(running[:3]), 60)}{', ...' * (count > 3)}\n",
        "Quitting kills them; each goes back to pending with no attempt spent, ",
        "and runs again on the next worker.",
    )
    app.push_screen(ConfirmScreen("Quit", question, "Quit"), answered)


def open_detail(app: QueueApp, job_id: str, *, follow: bool = False) -> None:
    from queuectl_tui.screens.detail import DetailScreen

    app.push_screen(DetailScreen(job_id, follow=follow))


def open_config(app: QueueApp) -> None:
    from queuectl_tui.screens.config import ConfigScreen

    app.push_screen(ConfigScreen())


def open_workers(app: QueueApp) -> None:
    from queuectl_tui.screens.workers import WorkersScreen

    app.push_screen(WorkersScreen())


def open_help(app: QueueApp) -> None:
    from queuectl_tui.screens.help import HelpScreen

    app.push_screen(HelpScreen())
