"""What a screen may see of the app: live state, reads, and the gate's verdicts; never writes.

Screens type ``self.app`` as ``Console`` instead of importing the app module (which imports
every screen): the dependency points one way, and a screen has no store to write through.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Protocol

from queuectl_core.insight import FailureRow, JobFilter
from queuectl_core.models import (
    Attempt,
    Dependency,
    Job,
    JobSort,
    JobState,
    Output,
    QueueInfo,
    WorkerInfo,
)
from queuectl_core.processes import RunningJob
from queuectl_core.schedule_model import Schedule
from queuectl_tui.snapshot import Snapshot


class Reads(Protocol):
    """The store's queries a screen may run (``Store`` satisfies it; no write is in reach)."""

    async def get_job(self, job_id: str) -> Job | None: ...
    async def list_jobs(
        self,
        *,
        state: JobState | None = None,
        queue: str | None = None,
        search: str | None = None,
        limit: int | None = None,
        offset: int = 0,
        newest_first: bool = False,
        sort: JobSort = JobSort.CREATED,
        where: JobFilter | None = None,
    ) -> list[Job]: ...
    async def count_jobs(
        self,
        *,
        state: JobState | None = None,
        queue: str | None = None,
        search: str | None = None,
        where: JobFilter | None = None,
    ) -> int: ...
    async def failure_rows(self, queue: str | None = None) -> list[FailureRow]: ...
    async def attempts(self, job_id: str) -> list[Attempt]: ...
    async def dependencies(self, job_id: str) -> list[Dependency]: ...
    async def output(self, job_id: str, attempt: int | None = None) -> Output | None: ...
    async def running_jobs(self) -> list[RunningJob]: ...
    # What the detail's "why" line reads (``why_facts.WhyReads``).
    def now(self) -> float: ...
    async def list_workers(self, *, include_stale: bool = False) -> list[WorkerInfo]: ...
    async def jobs_ahead(self, job_id: str) -> int: ...
    async def get_queue(self, name: str, *, counts: bool = True) -> QueueInfo: ...
    async def list_schedules(self) -> list[Schedule]: ...
    async def list_queues(self) -> list[QueueInfo]: ...


class HostedView(Protocol):
    """This console's own worker slots, as the workers pane shows them."""

    @property
    def running(self) -> bool: ...
    @property
    def slots(self) -> int: ...
    @property
    def worker_id(self) -> str | None: ...


class Console(Protocol):
    """The app as its screens see it."""

    snapshot: Snapshot | None
    clock: Callable[[], float]
    readonly: bool
    ready: asyncio.Event
    #: True while a refresh that was asked for (after the console's own write, or at open)
    #: reloads the screen: a throttled listing reads anyway.
    forced: bool

    @property
    def reads(self) -> Reads: ...
    @property
    def hosted_view(self) -> HostedView | None: ...

    def allows(self, action: str) -> bool:
        """The gate: may the action named ``action`` run now (False greys its key out)?"""
        ...

    def refuses(self, what: str) -> bool:
        """The gate: True (after saying so) when writes are off in this console."""
        ...

    def request_refresh(self) -> None: ...
