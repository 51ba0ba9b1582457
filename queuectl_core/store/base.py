"""The ``Store`` contract every backend satisfies (SQLite, PostgreSQL), as narrow protocols by
client (``WorkerStore``, ``OperatorStore``, ``RegistryStore``) composed into ``Store``.

One conformance suite (tests/store) checks both.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Protocol
from urllib.parse import urlsplit, urlunsplit

from queuectl_core.config import Config
from queuectl_core.insight import BulkAction, FailureRow, JobFilter
from queuectl_core.models import (
    Added,
    Attempt,
    Dependency,
    Finish,
    Heartbeat,
    Job,
    JobSort,
    JobSpec,
    JobState,
    Metrics,
    Output,
    QueueInfo,
    WorkerInfo,
)
from queuectl_core.processes import (
    Figures,
    JobSignal,
    ProcessSample,
    RunningJob,
    SignalAck,
    SignalRequest,
    SignalStatus,
)
from queuectl_core.schedule_model import Schedule, ScheduleSpec
from queuectl_core.wake import WakeKind

#: Called on the event loop when another process signals: work (new or due jobs) or control
#: (a stop request or a cancelled job: heartbeat now).
WakeCallback = Callable[[WakeKind], None]


class StoreHandle(Protocol):
    """What every client of a store holds: where it is, its clock, its config, closing it."""

    url: str

    async def close(self) -> None: ...
    async def get_config(self) -> Config: ...
    def now(self) -> float:
        """The store's notion of the current time (epoch seconds)."""
        ...


class OperatorStore(StoreHandle, Protocol):
    """What producers, operators and the console do: jobs in, jobs looked at, jobs changed."""

    async def set_config(self, key: str, value: str) -> Config:
        """Validate (type, range, cross-key rules) and persist; returns the new config."""
        ...

    async def enqueue(self, specs: Sequence[JobSpec]) -> list[Job]:
        """All or nothing. Raises DuplicateJob naming the first id that exists."""
        ...

    async def add_jobs(self, specs: Sequence[JobSpec]) -> list[Added]:
        """``enqueue`` that also says, per spec, whether a job was created: a spec whose
        ``unique_key`` an unfinished job holds (or an earlier spec of the batch took) creates
        nothing and gives that job. Dependencies (``after``) must exist or come earlier in the
        batch: JobNotFound otherwise, and nothing is written."""
        ...

    async def dependencies(self, job_id: str) -> list[Dependency]:
        """The jobs ``job_id`` waits for (its ``after``), each with its current state."""
        ...

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
    ) -> list[Job]:
        """Jobs in ``sort`` order, ascending (enqueue order by default) or, with
        ``newest_first``, descending; ``search`` matches id or command literally; ``where``
        adds more conditions (all must hold)."""
        ...

    async def count_jobs(
        self,
        *,
        state: JobState | None = None,
        queue: str | None = None,
        search: str | None = None,
        where: JobFilter | None = None,
    ) -> int: ...
    async def counts(self) -> dict[JobState, int]:
        """Jobs per state, every state present; cheap at a million jobs."""
        ...

    async def attempts(self, job_id: str) -> list[Attempt]: ...
    async def output(self, job_id: str, attempt: int | None = None) -> Output | None:
        """Output of one attempt (the latest when ``attempt`` is None)."""
        ...

    async def cancel(self, job_ids: Sequence[str]) -> list[Job]:
        """Pending/failed/processing -> cancelled; all or nothing (JobNotFound, InvalidState)."""
        ...

    async def retry(self, job_ids: Sequence[str], *, dead_only: bool = False) -> list[Job]:
        """Pending now; all or nothing (JobNotFound, InvalidState for pending/processing).

        Dead, cancelled and completed jobs restart at attempts 0 (their history continues); a
        failed job keeps its attempts and skips the rest of its backoff. ``dead_only``: the DLQ's
        retry, which takes dead jobs only.
        """
        ...

    async def retry_all_dead(self) -> int: ...
    async def purge(self, states: Sequence[JobState], finished_before: float) -> int: ...
    async def count_purgeable(self, states: Sequence[JobState], finished_before: float) -> int:
        """How many jobs ``purge`` with the same arguments would delete now."""
        ...

    async def failure_rows(self, queue: str | None = None) -> list[FailureRow]:
        """Failed and dead jobs (in ``queue``, if given), each with its last attempt's stderr
        tail (``insight.STDERR_TAIL`` characters): what ``insight.group_failures`` reads."""
        ...

    async def change_matching(
        self, action: BulkAction, where: JobFilter, *, dry_run: bool = False
    ) -> int:
        """Retry, cancel or purge every job ``where`` matches that the action's own rules allow
        (retry: final and failed jobs; cancel: pending, failed, processing; purge: final), in one
        transaction; returns how many changed (``dry_run``: would change, changing nothing)."""
        ...

    async def metrics(self) -> Metrics: ...
    async def list_queues(self) -> list[QueueInfo]:
        """Every queue that has jobs or settings, by name, with its jobs counted by state."""
        ...

    async def get_queue(self, name: str, *, counts: bool = True) -> QueueInfo:
        """One queue (not paused and unlimited if it has no settings, zero counts if no jobs);
        ``counts=False`` reads only its settings (no scan of its jobs; counts stay empty)."""
        ...

    async def paused_queues(self) -> list[str]:
        """Names of the paused queues, sorted; cheap (``status`` reads it at a million jobs)."""
        ...

    async def set_paused(self, names: Sequence[str], paused: bool) -> None:
        """Pause or resume queues (with or without jobs); every claim from now on obeys it.
        InvalidInput for a bad name (nothing changes)."""
        ...

    async def set_concurrency(self, name: str, limit: int) -> None:
        """At most ``limit`` jobs of the queue processing at once, all workers and hosts
        together; 0 = no limit. InvalidInput for a bad name or limit."""
        ...

    async def change_token(self) -> int:
        """Changes whenever any process commits; cheap enough to call every second."""
        ...


class RegistryStore(StoreHandle, Protocol):
    """The workers as operators see them: who is alive, and asking them all to stop."""

    async def list_workers(self, *, include_stale: bool = False) -> list[WorkerInfo]: ...
    async def request_stop(self) -> int:
        """Ask every live worker to stop gracefully; returns how many were asked."""
        ...


class WorkerStore(StoreHandle, Protocol):
    """What a worker pool does: register, claim, keep leases, record, recover, wake up."""

    async def register_worker(self, info: WorkerInfo) -> None:
        """Add the worker, or update its host, pid, slots and queues (keeping any stop request)."""
        ...

    async def deregister_worker(self, worker_id: str) -> None: ...

    async def heartbeat(
        self, worker_id: str, running: Sequence[tuple[str, int]], lease: float
    ) -> Heartbeat:
        """Renew the worker and the leases of ``running`` (job id, run number) it still owns."""
        ...

    async def claim(
        self, worker_id: str, queues: Sequence[str] | None, limit: int, lease: float
    ) -> list[Job]:
        """Atomically take up to ``limit`` due jobs: priority first, then FIFO."""
        ...

    async def finish_and_claim(
        self,
        finishes: Sequence[Finish],
        worker_id: str,
        queues: Sequence[str] | None,
        limit: int,
        lease: float,
    ) -> tuple[list[bool], list[Job]]:
        """``finish`` then ``claim`` in one transaction: one round trip per job on the hot path."""
        ...

    async def save_output(self, items: Sequence[tuple[str, int, str, str]]) -> None:
        """Store the current (bounded) output of running attempts: (job id, run, stdout, stderr)."""
        ...

    async def finish(self, finishes: Sequence[Finish]) -> list[bool]:
        """Record results; each only if the worker still owns that run (fencing)."""
        ...

    async def release(self, job_id: str, worker_id: str, run: int) -> bool:
        """Give a running job back as pending without spending the attempt."""
        ...

    async def recover(self, dead_workers: Sequence[str] = ()) -> list[str]:
        """Expired leases, and jobs of ``dead_workers`` (known gone), become failed/dead.

        The error is "worker lost (...)"; long-silent worker rows are dropped.
        """
        ...

    async def next_due(self, queues: Sequence[str] | None) -> float | None:
        """When an idle worker should look again: the earliest ``run_at`` of a waiting job. With
        queue rules in force, only jobs due after now, outside paused or full queues."""
        ...

    async def has_unfinished(self, queues: Sequence[str] | None = None) -> bool:
        """Anything pending, failed (awaiting retry) or processing (in ``queues``, if given);
        waiting jobs of paused queues do not count (``worker start --drain`` exits)."""
        ...

    async def sweep_finished(self, older_than: Mapping[JobState, float], limit: int) -> int:
        """Delete up to ``limit`` jobs of the given final states finished more than that many
        seconds ago (by the store's clock), with their attempts and output; one short
        transaction. Returns how many were deleted."""
        ...

    async def listen(self, worker_id: str, callback: WakeCallback) -> None: ...
    async def unlisten(self) -> None: ...


class ProcessStore(StoreHandle, Protocol):
    """Running jobs' processes (sampled by their workers), operator signals, Prometheus."""

    async def publish_processes(
        self, worker_id: str, samples: Sequence[ProcessSample]
    ) -> list[SignalRequest]:
        """Replace the worker's published samples; return the undelivered signal requests for
        runs it still owns."""
        ...

    async def ack_signals(self, acks: Sequence[SignalAck]) -> None:
        """Mark requests answered: delivered, or the reason they were not."""
        ...

    async def request_signal(self, job_id: str, signal: JobSignal) -> int:
        """Ask the worker running the job to signal its process group; wakes it. Returns the
        request id. JobNotFound, or InvalidState when the job is not processing."""
        ...

    async def signal_status(self, request_id: int) -> SignalStatus: ...
    async def jobs_ahead(self, job_id: str) -> int:
        """Due, claimable jobs of the job's queue a worker would take first (capped; see
        ``store.ahead``); 0 for an unknown id."""
        ...

    async def running_jobs(self) -> list[RunningJob]:
        """Processing jobs, longest running first, each with its latest sample (if any)."""
        ...

    async def figures(self) -> Figures:
        """What a Prometheus scrape reports, in one snapshot (counters never go down)."""
        ...


class ScheduleStore(StoreHandle, Protocol):
    """Schedules (recurring jobs): operators manage them, workers fire them."""

    async def add_schedule(self, spec: ScheduleSpec) -> Schedule:
        """A running schedule whose first fire is the first time after now; DuplicateSchedule."""
        ...

    async def list_schedules(self) -> list[Schedule]:
        """Every schedule by name, each with the state of the job it fired last."""
        ...

    async def get_schedule(self, name: str) -> Schedule | None: ...
    async def pause_schedule(self, name: str, paused: bool) -> Schedule:
        """Pause, or resume with the next fire computed from now; ScheduleNotFound."""
        ...

    async def remove_schedule(self, name: str) -> None:
        """Delete it (the jobs it fired stay); ScheduleNotFound."""
        ...

    async def run_schedule(self, name: str) -> Job:
        """Enqueue one job of the schedule now, paused or not; ``next_run`` does not move."""
        ...

    async def fire_schedule(self, name: str, due: float) -> Job | None:
        """Claim fire time ``due`` by compare-and-set on ``next_run`` and insert its job in the
        same transaction; None when the claim fails (already fired, paused, gone, not due)."""
        ...

    async def fire_due_schedules(self) -> list[Job]:
        """Fire every due, running schedule once (missed fire times: one job, never a burst)."""
        ...

    async def next_schedule_fire(self) -> float | None:
        """The earliest ``next_run`` of a running schedule (None: nothing to fire)."""
        ...


class Store(OperatorStore, RegistryStore, WorkerStore, ProcessStore, ScheduleStore, Protocol):
    """Durable job storage, as every backend provides it. Each method is one transaction;
    times come from the store's clock. Clients that need less take a narrower protocol."""


def is_postgres_url(url: str) -> bool:
    return url.startswith(("postgresql://", "postgres://"))


def describe(url: str) -> str:
    """The store as messages name it: the file, or the URL without its password."""
    if not is_postgres_url(url):
        return url
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = f"{parts.username}@" if parts.username else ""
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{user}{host}"))
