"""Why a job is or is not running now, in words and codes. Pure: the facts are read elsewhere.

``explain`` answers from a ``Facts`` snapshot (the job, its queue's settings, its dependencies,
the live workers) that ``cli/why.py`` and the console read from the store. Every reason that
holds is given, not only the first: a job can be scheduled for later *and* in a paused queue,
and an operator who resumes the queue should not be surprised by the schedule next.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

from queuectl_core import present
from queuectl_core.lifecycle import is_final
from queuectl_core.models import Job, JobState, WorkerInfo


class Code(enum.StrEnum):
    READY = "ready"
    RUNNING = "running"
    SCHEDULED = "scheduled"
    BACKOFF = "backoff"
    QUEUE_PAUSED = "queue_paused"
    CONCURRENCY_LIMIT = "concurrency_limit"
    DEPENDENCIES = "dependencies"
    NO_WORKER = "no_worker"
    BUSY = "busy"
    COMPLETED = "completed"
    DEAD = "dead"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class Reason:
    code: Code
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"code": str(self.code), "message": self.message}


@dataclass(frozen=True, slots=True)
class Facts:
    """What the answer depends on, read in one go."""

    job: Job
    now: float
    #: Live workers (heartbeat within the lease), every host.
    workers: Sequence[WorkerInfo] = ()
    paused: bool = False
    #: The queue's concurrency limit (0 = none) and the ids of its jobs running now.
    concurrency: int = 0
    running_in_queue: Sequence[str] = ()
    #: The job's dependencies that have not completed, with their states (None: gone).
    waiting_on: Sequence[tuple[str, JobState | None]] = ()
    #: Claimable, due jobs of the same queue that a worker would take before this one.
    ahead: int = 0
    #: The running job's process id, when its worker published one.
    pid: int | None = None


def _serves(worker: WorkerInfo, queue: str) -> bool:
    return not worker.queues or queue in worker.queues


def _final(facts: Facts) -> Reason:
    job = facts.job
    when = present.relative(job.finished_at, facts.now, exact=True)
    ago = f" {when}" if when else ""
    if job.state is JobState.COMPLETED:
        return Reason(Code.COMPLETED, f"completed{ago}; it will not run again")
    how = f": {job.last_error}" if job.last_error else ""
    if job.state is JobState.DEAD:
        return Reason(
            Code.DEAD,
            f"dead{ago} after {job.attempts} attempt(s){how}; "
            f"`queuectl retry {job.id}` runs it again",
        )
    return Reason(
        Code.CANCELLED, f"cancelled{ago}{how}; `queuectl retry {job.id}` makes it pending again"
    )


def _running(facts: Facts) -> Reason:
    job, now = facts.job, facts.now
    where = job.worker_id or "an unknown worker"
    host = next((w.host for w in facts.workers if w.id == job.worker_id), None)
    parts = [f"running on {where}" + (f" ({host})" if host else "")]
    if facts.pid is not None:
        parts.append(f"pid {facts.pid}")
    if job.started_at is not None:
        parts.append(f"for {present.span(now - job.started_at, exact=True)}")
    if job.lease_expires_at is not None:
        parts.append(f"lease {present.relative(job.lease_expires_at, now, exact=True)}")
    return Reason(Code.RUNNING, ", ".join(parts))


def _waiting(facts: Facts) -> list[Reason]:
    job, now = facts.job, facts.now
    reasons: list[Reason] = []
    if job.run_at > now:
        at = f"{present.timestamp(job.run_at)} ({present.relative(job.run_at, now, exact=True)})"
        if job.state is JobState.FAILED:
            tried = f"attempt {job.attempts} of {job.max_attempts} failed"
            error = f" ({job.last_error})" if job.last_error else ""
            reasons.append(Reason(Code.BACKOFF, f"{tried}{error}; backing off until {at}"))
        else:
            reasons.append(Reason(Code.SCHEDULED, f"scheduled for {at}"))
    if facts.waiting_on:
        named = ", ".join(f"{i} ({s or 'missing'})" for i, s in facts.waiting_on)
        reasons.append(Reason(Code.DEPENDENCIES, f"waiting for dependencies: {named}"))
    if facts.paused:
        reasons.append(
            Reason(
                Code.QUEUE_PAUSED,
                f"queue {job.queue!r} is paused; `queuectl queue resume {job.queue}` resumes it",
            )
        )
    if facts.concurrency and len(facts.running_in_queue) >= facts.concurrency:
        shown = ", ".join(list(facts.running_in_queue)[:5])
        more = len(facts.running_in_queue) - 5
        tail = f" and {more} more" if more > 0 else ""
        reasons.append(
            Reason(
                Code.CONCURRENCY_LIMIT,
                f"queue {job.queue!r} is at its concurrency limit of {facts.concurrency} "
                f"(running: {shown}{tail})",
            )
        )
    reasons.extend(_capacity(facts))
    return reasons


def _capacity(facts: Facts) -> list[Reason]:
    queue = facts.job.queue
    serving = [w for w in facts.workers if _serves(w, queue)]
    if not serving:
        served = sorted({q for w in facts.workers for q in (w.queues or ("every queue",))})
        live = f"live workers serve: {', '.join(served)}" if served else "no worker is running"
        return [Reason(Code.NO_WORKER, f"no live worker serves queue {queue!r} ({live})")]
    slots = sum(w.slots for w in serving)
    busy = sum(len(w.current_jobs) for w in serving)
    if busy >= slots:
        ahead = f"; {facts.ahead} job(s) ahead of it" if facts.ahead else ""
        return [
            Reason(
                Code.BUSY,
                f"all {slots} slot(s) serving queue {queue!r} are busy "
                f"on {len(serving)} worker(s){ahead}",
            )
        ]
    return []


def explain(facts: Facts) -> list[Reason]:
    """Every reason the job is or is not running now; ``ready`` when nothing holds it back."""
    job = facts.job
    if is_final(job.state):
        return [_final(facts)]
    if job.state is JobState.PROCESSING:
        return [_running(facts)]
    reasons = _waiting(facts)
    if reasons:
        return reasons
    ahead = f"; {facts.ahead} job(s) ahead of it" if facts.ahead else ""
    return [Reason(Code.READY, f"ready: a free worker slot will claim it next{ahead}")]
