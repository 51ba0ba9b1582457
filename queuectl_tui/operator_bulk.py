"""The operator's insight requests: bulk actions behind a confirm that shows the count, and
showing a failure group's jobs. Part of ``Operator`` (see ``operator.py``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from rich.text import Text
from textual.app import App

from queuectl_core.errors import QueueError
from queuectl_core.insight import BulkAction
from queuectl_core.present import thousands
from queuectl_core.store.base import Store
from queuectl_tui import requests as rq
from queuectl_tui.screens.failures import FailuresScreen
from queuectl_tui.screens.main import MainScreen
from queuectl_tui.text import clean_line

T = TypeVar("T")

#: What each bulk action does to the jobs it matches (the confirm's second line).
BULK_RULES = {
    BulkAction.RETRY: "Dead, cancelled and completed start over; failed ones run now.",
    BulkAction.CANCEL: "Pending and failed stop; running ones have their process tree killed.",
    BulkAction.PURGE: "Finished ones are deleted with their history and output.",
}


def jobs_text(count: int) -> str:
    return f"{thousands(count)} job{'s' * (count != 1)}"


class BulkOperations:
    """Needs the app, the store, and ``Operator``'s confirm and act."""

    app: App[None]
    _store: Callable[[], Store]

    def act(self, call: Callable[[], Awaitable[T]], done: Callable[[T], str]) -> None:
        raise NotImplementedError

    def _confirm(self, title: str, question: Text, yes: str, then: Callable[[], None]) -> None:
        raise NotImplementedError

    async def bulk(self, request: rq.BulkRequested) -> None:
        """Count what the filter matches, confirm showing the count (default No), change."""
        store, action, where = self._store(), request.action, request.where
        try:
            count = await store.change_matching(action, where, dry_run=True)
        except QueueError as exc:
            self.app.notify(str(exc), title="failed", severity="error", markup=False)
            return
        label = clean_line(request.label, 60)
        if not count:
            self.app.notify(f"no job to {action} in {label}", markup=False)
            return
        jobs = jobs_text(count)
        question = Text.assemble(f"{action.title()} ", (jobs, "bold"), f" of {label}?\n")
        question.append(BULK_RULES[action], style="italic")
        self._confirm(
            f"{action.title()} {jobs}",
            question,
            action.title(),
            lambda: self.act(
                lambda: store.change_matching(action, where),
                lambda n: f"{action.done} {jobs_text(n)}",
            ),
        )

    def show_group(self, request: rq.GroupJobsRequested) -> None:
        """Leave the failures view; the main screen shows the group's jobs."""
        if isinstance(self.app.screen, FailuresScreen):
            self.app.pop_screen()
        for screen in self.app.screen_stack:
            if isinstance(screen, MainScreen):
                screen.show_group(request.group)
