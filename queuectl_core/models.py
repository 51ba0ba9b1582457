"""Value types shared by the store, the workers, the CLI and the console. No I/O here."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, TypeVar, dataclass_transform

T = TypeVar("T")


@dataclass_transform(frozen_default=True, field_specifiers=(field,))
def record(cls: type[T]) -> type[T]:
    """A frozen dataclass to the type checker, a plain slotted one at run time.

    ``frozen=True`` makes ``__init__`` set every field through ``object.__setattr__``: a ``Job``
    took 5.8 us to build instead of 0.34, paid for every row a store reads and every job a bulk
    enqueue returns (~0.3 s of 50,000). Assigning to a field is still a mypy error, and a value
    hashes by its fields as a frozen one does.
    """
    return dataclass(slots=True, unsafe_hash=True)(cls)


class JobState(enum.StrEnum):
    """Lifecycle of a job; see docs/CLI.md, "States"."""

    PENDING = "pending"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"
    DEAD = "dead"
    CANCELLED = "cancelled"

    @classmethod
    def named(cls, name: str) -> JobState:
        """A state from its name or an alias (``running`` is ``processing``); ValueError if none."""
        text = name.strip().lower()
        return cls(STATE_ALIASES.get(text, text))


class JobSort(enum.StrEnum):
    """Orders a job list can take (each breaks ties by enqueue order)."""

    CREATED = "created"
    UPDATED = "updated"
    ID = "id"
    PRIORITY = "priority"
    STATE = "state"
    QUEUE = "queue"


#: Other names operators use for a state.
STATE_ALIASES = {"running": "processing"}


@record
class JobSpec:
    """A validated request to enqueue one job (all defaults already resolved except config ones)."""

    command: str
    id: str | None = None
    max_retries: int | None = None
    priority: int = 0
    timeout: float | None = None
    timeout_given: bool = False
    run_at: float | None = None
    #: Seconds after the store's "now" (its clock, not this host's) when ``run_at`` is not given.
    delay: float | None = None
    queue: str = "default"
    env: dict[str, str] = field(default_factory=dict)
    cwd: str | None = None
    #: Ids of jobs that must complete before this one is claimed (DESIGN §10).
    after: tuple[str, ...] = ()
    #: While a job with this key is not final, enqueueing another with it creates nothing.
    unique_key: str | None = None
    #: The schedule that fired this job (None for jobs enqueued by hand).
    schedule: str | None = None


@record
class Job:
    """One job as stored. Times are epoch seconds (floats)."""

    id: str
    command: str
    state: JobState
    queue: str
    priority: int
    attempts: int
    max_retries: int
    timeout: float | None
    run_at: float
    created_at: float
    updated_at: float
    env: dict[str, str]
    cwd: str | None
    started_at: float | None = None
    finished_at: float | None = None
    exit_code: int | None = None
    last_error: str | None = None
    worker_id: str | None = None
    lease_expires_at: float | None = None
    #: Attempts ever started, never reset (``attempts`` resets on ``dlq retry``); numbers the
    #: attempt records and fences results to the run that owns the job.
    runs: int = 0
    #: Ids of jobs that must complete before this one is claimed.
    after: tuple[str, ...] = ()
    unique_key: str | None = None
    #: The schedule that fired this job, if one did.
    schedule: str | None = None

    @property
    def max_attempts(self) -> int:
        """Total runs allowed: the first one plus the retries."""
        return 1 + self.max_retries


@record
class Added:
    """What enqueueing one spec gave: a new job, or the unfinished job holding its unique key."""

    job: Job
    #: False when nothing was created because ``job`` already held the spec's unique key.
    created: bool = True


@record
class Dependency:
    """One job another waits for, as it stands now (``state`` None: purged since)."""

    id: str
    state: JobState | None


@record
class Attempt:
    """One started run of a job (output is fetched separately; it can be large)."""

    job_id: str
    attempt: int
    worker_id: str | None
    started_at: float
    finished_at: float | None
    exit_code: int | None
    error: str | None


@record
class Output:
    """Captured, bounded output of one attempt."""

    job_id: str
    attempt: int
    stdout: str
    stderr: str
    finished: bool


@record
class WorkerInfo:
    """A registered worker process."""

    id: str
    host: str
    pid: int
    slots: int
    queues: tuple[str, ...]
    started_at: float
    heartbeat_at: float
    current_jobs: tuple[str, ...] = ()
    stop_requested: bool = False


@record
class QueueInfo:
    """A queue as operators see it: its settings and its jobs by state (DESIGN §8).

    A queue with no stored settings is not paused and unlimited (``concurrency`` 0).
    """

    name: str
    paused: bool
    concurrency: int
    #: Jobs per state, every state present.
    counts: dict[str, int]
    #: Jobs of this queue completed in the last 60 seconds (the console's throughput figure).
    completed_last_minute: int = 0


@record
class Outcome:
    """What one attempt ended with, as the executor reports it."""

    exit_code: int | None
    error: str | None
    stdout: str = ""
    stderr: str = ""

    @property
    def succeeded(self) -> bool:
        return self.exit_code == 0 and self.error is None


@record
class Finish:
    """A finished attempt, ready to be recorded (fenced on worker and attempt)."""

    job_id: str
    worker_id: str
    #: The fencing counter: the job's ``runs`` when this worker claimed it.
    run: int
    outcome: Outcome
    #: Seconds the attempt ran (for the worker's log line), when known.
    duration: float | None = None


@record
class Heartbeat:
    """What a heartbeat learns: jobs this worker no longer owns, and whether to stop."""

    lost_jobs: frozenset[str]
    stop_requested: bool


@record
class Metrics:
    """Aggregates for ``queuectl metrics``."""

    counts: dict[str, int]
    success_rate: float | None
    duration_mean: float | None
    duration_p50: float | None
    duration_p95: float | None
    completed_last_minute: int
    completed_last_hour: int
    throughput_per_minute: float
    per_minute_last_hour: list[int]

    def to_dict(self) -> dict[str, Any]:
        return {
            "counts": self.counts,
            "success_rate": self.success_rate,
            "duration_seconds": {
                "mean": self.duration_mean,
                "p50": self.duration_p50,
                "p95": self.duration_p95,
            },
            "completed_last_minute": self.completed_last_minute,
            "completed_last_hour": self.completed_last_hour,
            "throughput_per_minute": self.throughput_per_minute,
            "per_minute_last_hour": self.per_minute_last_hour,
        }
