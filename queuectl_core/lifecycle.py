"""How an attempt can end, and what each ending means for its job. Pure: no I/O, no asyncio."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from queuectl_core.models import Finish


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


@dataclass(frozen=True, slots=True)
class Ended:
    """An attempt that ended, queued for the worker's single record point."""

    kind: OutcomeKind
    finish: Finish
