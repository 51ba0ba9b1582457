"""Schedules (recurring jobs) as values: what ``schedule add`` asks for and what a store holds."""

from __future__ import annotations

from dataclasses import dataclass, field

from queuectl_core.errors import QueueError
from queuectl_core.models import JobSpec, JobState
from queuectl_core.recurrence import Rule, first


class DuplicateSchedule(QueueError):
    """A schedule name that already exists (exit 1)."""


class ScheduleNotFound(QueueError):
    """An unknown schedule name (exit 1)."""


class BrokenSchedule(QueueError):
    """A stored rule no queuectl wrote (a hand edit): it cannot be resumed, only removed."""


def resumed_at(spec: ScheduleSpec, now: float) -> float:
    """The first fire time after ``now`` of a schedule being resumed; BrokenSchedule."""
    try:
        return first(spec.rule, now)
    except ValueError as exc:
        raise BrokenSchedule(f"schedule {spec.name!r} cannot resume: {exc}") from None


@dataclass(frozen=True, slots=True)
class ScheduleSpec:
    """A validated ``schedule add``: the rule and the job each fire enqueues."""

    name: str
    rule: Rule
    command: str
    queue: str = "default"
    priority: int = 0
    #: None: the configured defaults at fire time, as for a job enqueued without them.
    max_retries: int | None = None
    timeout: float | None = None
    env: dict[str, str] = field(default_factory=dict)
    cwd: str | None = None


@dataclass(frozen=True, slots=True)
class Schedule:
    """One stored schedule, with the state of the job it fired last (if that job still exists).

    Times are epoch seconds. ``next_run`` is None only for a row no queuectl wrote (a hand edit).
    """

    spec: ScheduleSpec
    paused: bool
    next_run: float | None
    last_run: float | None
    last_job: str | None
    created_at: float
    last_state: JobState | None = None
    last_exit_code: int | None = None
    last_error: str | None = None

    @property
    def name(self) -> str:
        return self.spec.name


def job_spec(spec: ScheduleSpec) -> JobSpec:
    """The job one fire of ``spec`` enqueues."""
    return JobSpec(
        spec.command,
        max_retries=spec.max_retries,
        priority=spec.priority,
        timeout=spec.timeout,
        timeout_given=spec.timeout is not None,
        queue=spec.queue,
        env=dict(spec.env),
        cwd=spec.cwd,
        schedule=spec.name,
    )
