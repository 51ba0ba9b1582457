"""Read the facts ``why.explain`` answers from, for ``queuectl why`` and the console's detail."""

from __future__ import annotations

from typing import Protocol

from queuectl_core.lifecycle import is_final
from queuectl_core.liveness import live_workers
from queuectl_core.models import Dependency, Job, JobState, QueueInfo, WorkerInfo
from queuectl_core.processes import RunningJob
from queuectl_core.why import Facts

#: At most this many of a limited queue's running jobs are read (the message names five).
RUNNING_SHOWN = 1000


class WhyReads(Protocol):
    """The store reads the answer takes (``Store`` satisfies it, as does the console's reads)."""

    def now(self) -> float: ...
    async def get_job(self, job_id: str) -> Job | None: ...
    async def list_workers(self, *, include_stale: bool = False) -> list[WorkerInfo]: ...
    async def running_jobs(self) -> list[RunningJob]: ...
    async def jobs_ahead(self, job_id: str) -> int: ...
    async def dependencies(self, job_id: str) -> list[Dependency]: ...
    async def get_queue(self, name: str, *, counts: bool = True) -> QueueInfo: ...
    async def list_jobs(
        self, *, state: JobState | None = None, queue: str | None = None, limit: int | None = None
    ) -> list[Job]: ...


async def gather(store: WhyReads, job_id: str, now: float | None = None) -> Facts | None:
    """A snapshot of what holds the job back (None for an unknown id).

    ``now`` defaults to the store's clock (the console passes its own, so the detail's times
    agree with each other). Several reads, not one transaction: each fact is as fresh as its
    read, which is all an answer to "why now?" can be; a final job needs only itself.
    """
    job = await store.get_job(job_id)
    if job is None:
        return None
    now = store.now() if now is None else now
    if is_final(job.state):
        return Facts(job=job, now=now)
    # A registered worker whose process is gone (seen on this host) serves nothing.
    workers = live_workers(await store.list_workers())
    if job.state is JobState.PROCESSING:
        samples = await store.running_jobs()
        sample = next((r.sample for r in samples if r.id == job.id), None)
        pid = sample.pid if sample is not None else None
        return Facts(job=job, now=now, workers=workers, pid=pid)
    waiting_on = [
        (dep.id, dep.state)
        for dep in await store.dependencies(job.id)
        if dep.state is not JobState.COMPLETED
    ]
    queue = await store.get_queue(job.queue, counts=False)
    running: list[str] = []
    if queue.concurrency:
        held = await store.list_jobs(
            state=JobState.PROCESSING, queue=job.queue, limit=RUNNING_SHOWN
        )
        running = [j.id for j in held]
    return Facts(
        job=job,
        now=now,
        workers=workers,
        paused=queue.paused,
        concurrency=queue.concurrency,
        running_in_queue=running,
        waiting_on=waiting_on,
        ahead=await store.jobs_ahead(job.id),
    )
