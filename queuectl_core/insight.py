"""Failures grouped by how they failed, and the filters bulk actions and searches take.

Value types and pure functions only (the stores read the rows, ``group_failures`` groups them).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field

from queuectl_core.models import JobState

#: Characters of stderr read from the end of the last attempt's output (the store cuts it, so
#: the store need not import ``fingerprint`` and compile its rules on every CLI command).
STDERR_TAIL = 2000

#: The states ``queuectl failures`` reads: failed (waiting out a backoff) and dead.
FAILURE_STATES = (JobState.FAILED, JobState.DEAD)


class BulkAction(enum.StrEnum):
    """What ``Store.change_matching`` does to the jobs a filter matches (each keeps its verb's
    rules: retry takes final and failed jobs, cancel pending/failed/processing, purge final)."""

    RETRY = "retry"
    CANCEL = "cancel"
    PURGE = "purge"

    @property
    def done(self) -> str:
        """The verb as a result: ``retried 12 jobs``."""
        return {"retry": "retried", "cancel": "cancelled", "purge": "purged"}[self.value]


@dataclass(frozen=True, slots=True)
class JobFilter:
    """Conditions on jobs, all of which must hold; a field left empty does not filter."""

    states: tuple[JobState, ...] = ()
    queue: str | None = None
    #: Id or command contains this text (literally).
    search: str | None = None
    #: last_error contains this text (literally).
    error: str | None = None
    exit_code: int | None = None
    #: created_at >= since, created_at < until (epoch seconds).
    since: float | None = None
    until: float | None = None
    #: Only these ids (a failure group's jobs); None: any id.
    ids: tuple[str, ...] | None = None
    #: Finished (or last changed) before this moment: purge's ``--older-than``.
    finished_before: float | None = None

    @property
    def is_empty(self) -> bool:
        return self == JobFilter()


@dataclass(frozen=True, slots=True)
class FailureRow:
    """A failed or dead job as the failure view reads it: its error and its stderr's tail."""

    id: str
    queue: str
    state: JobState
    last_error: str | None
    #: When it last failed (finished_at, else updated_at).
    failed_at: float
    stderr_tail: str


@dataclass(frozen=True, slots=True)
class FailureGroup:
    """Jobs that failed the same way (same fingerprint)."""

    fingerprint: str
    example: str
    jobs: tuple[str, ...]
    queues: tuple[str, ...]
    first_seen: float
    last_seen: float
    states: dict[str, int] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return len(self.jobs)


def group_failures(rows: Iterable[FailureRow]) -> list[FailureGroup]:
    """Groups, biggest first (then most recent); jobs in a group oldest failure first."""
    # Here, not at the top: ``list`` and ``cancel`` import this module and never group, and
    # compiling the fingerprint's patterns would cost every one of their runs.
    from queuectl_core.fingerprint import fingerprint

    shapes: dict[tuple[str | None, str], tuple[str, str]] = {}
    members: dict[str, list[FailureRow]] = {}
    examples: dict[str, str] = {}
    for row in rows:
        key = (row.last_error, row.stderr_tail)
        found = shapes.get(key)
        if found is None:
            found = shapes[key] = fingerprint(row.last_error, row.stderr_tail)
        digest, shape = found
        members.setdefault(digest, []).append(row)
        examples[digest] = shape
    groups = []
    for digest, group in members.items():
        group.sort(key=lambda r: (r.failed_at, r.id))
        states: dict[str, int] = {}
        for row in group:
            states[str(row.state)] = states.get(str(row.state), 0) + 1
        groups.append(
            FailureGroup(
                fingerprint=digest,
                example=examples[digest],
                jobs=tuple(r.id for r in group),
                queues=tuple(sorted({r.queue for r in group})),
                first_seen=group[0].failed_at,
                last_seen=group[-1].failed_at,
                states=states,
            )
        )
    groups.sort(key=lambda g: (-g.count, -g.last_seen, g.fingerprint))
    return groups
