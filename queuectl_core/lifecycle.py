"""How an attempt can end, and what each ending means for its job. Pure: no I/O, no asyncio."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from queuectl_core.config import Config
from queuectl_core.models import Finish, JobState, Outcome, record


class OutcomeKind(enum.StrEnum):
    """How one attempt ended."""

    OK = "ok"
    FAILED = "failed"
    TIMED_OUT = "timed out"
    #: An operator cancelled the job while it ran.
    CANCELLED = "cancelled"
    #: The job's lease passed to another worker (this one was presumed dead).
    LEASE_LOST = "lease lost"
    #: The worker was told to stop now: the attempt is given back, not spent.
    INTERRUPTED = "interrupted"


#: The error recorded for an attempt stopped from outside (the command did not end by itself).
STOP_ERRORS = {
    OutcomeKind.CANCELLED: "cancelled",
    OutcomeKind.LEASE_LOST: "lease lost to another worker",
    OutcomeKind.INTERRUPTED: "interrupted",
}


def spends_attempt(kind: OutcomeKind) -> bool:
    """Whether the attempt counts against the job's retries (an interrupted one is released)."""
    return kind is not OutcomeKind.INTERRUPTED


@record
class Ended:
    """An attempt that ended, queued for the worker's single record point."""

    kind: OutcomeKind
    finish: Finish


#: How a recovered attempt's error starts: its worker died, so its outcome is unknown.
LOST_PREFIX = "worker lost"


def previous_outcome_unknown(last_error: str | None) -> bool:
    """Whether the job's previous attempt was lost with its worker (the command may have run)."""
    return last_error is not None and last_error.startswith(LOST_PREFIX)


# --- what a job's state allows -------------------------------------------------------------

#: States a worker may claim from (``failed`` once its backoff has passed).
CLAIMABLE_STATES = (JobState.PENDING, JobState.FAILED)
#: States from which an operator may cancel.
CANCELLABLE_STATES = (JobState.PENDING, JobState.FAILED, JobState.PROCESSING)
#: States ``retry`` takes back to pending (``dlq retry`` takes only ``dead``).
RETRYABLE_STATES = (JobState.DEAD, JobState.CANCELLED, JobState.COMPLETED, JobState.FAILED)
#: States a job ends in: nothing happens to it again unless an operator retries it (and the
#: states ``purge`` may delete).
FINAL_STATES = (JobState.COMPLETED, JobState.DEAD, JobState.CANCELLED)
#: States that still owe work: waiting, waiting out a backoff, or running.
UNFINISHED_STATES = tuple(s for s in JobState if s not in FINAL_STATES)


def is_claimable(state: JobState) -> bool:
    return state in CLAIMABLE_STATES


def is_cancellable(state: JobState) -> bool:
    return state in CANCELLABLE_STATES


def is_retryable(state: JobState) -> bool:
    return state in RETRYABLE_STATES


def is_final(state: JobState) -> bool:
    return state in FINAL_STATES


# --- error texts ---------------------------------------------------------------------------


def lost_error(lease_timeout: float) -> str:
    """The error of a job whose worker stopped renewing its lease."""
    return f"worker lost (no heartbeat for {lease_timeout:g}s)"


def gone_error(worker_id: str) -> str:
    """The error of a job whose worker's process is known to be gone."""
    return f"worker lost (process of {worker_id} is gone)"


def refusal(job_id: str, state: JobState, allowed: Sequence[JobState], verb: str) -> str:
    """Why an operator's state change was refused."""
    names = ", ".join(str(s) for s in allowed)
    return f"job {job_id!r} is {state}; only {names} jobs can be {verb}"


# --- the decision --------------------------------------------------------------------------


class HasBudget(Protocol):
    """What the decision reads of a job: its retry budget (a ``Job`` has one)."""

    @property
    def attempts(self) -> int: ...
    @property
    def max_retries(self) -> int: ...


@dataclass(frozen=True, slots=True)
class Budget:
    """A job's retry budget as a store reads it from the row it is about to change."""

    attempts: int
    max_retries: int


@dataclass(frozen=True, slots=True)
class Transition:
    """Where an attempt's ending takes its job; the stores apply it as decided."""

    state: JobState
    #: When the job is next due; None keeps the job's ``run_at`` as it is.
    run_at: float | None = None
    #: Whether the attempt stays counted (an interrupted one is given back: released).
    spent: bool = True


def kind_of(outcome: Outcome) -> OutcomeKind:
    """The kind of an outcome the executor reported (a timeout fares as a failure)."""
    return OutcomeKind.OK if outcome.succeeded else OutcomeKind.FAILED


def exhausted(job: HasBudget) -> bool:
    """Whether the job has used its first run and all its retries."""
    return job.attempts >= 1 + job.max_retries


def decide(job: HasBudget, kind: OutcomeKind, config: Config, now: float) -> Transition:
    """The job's fate after an attempt (``job`` as claimed: ``attempts`` counts this one).

    Completed on success; released (pending now, attempt given back) when interrupted; cancelled
    when an operator cancelled it; otherwise (failed, timed out, lease lost) dead once the
    retries are spent, else failed and due again after the backoff for its attempts.
    """
    if kind is OutcomeKind.OK:
        return Transition(JobState.COMPLETED)
    if kind is OutcomeKind.INTERRUPTED:
        return Transition(JobState.PENDING, now, spent=False)
    if kind is OutcomeKind.CANCELLED:
        return Transition(JobState.CANCELLED)
    if exhausted(job):
        return Transition(JobState.DEAD)
    return Transition(JobState.FAILED, now + config.backoff(job.attempts))
