"""What both stores share about dependencies: messages and how a job's list is reported."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from queuectl_core.errors import InvalidState
from queuectl_core.models import Dependency, JobSpec, JobState


def uses_links(specs: Sequence[JobSpec]) -> bool:
    """Whether a batch needs the one-job-at-a-time insert (dependencies or unique keys)."""
    return any(spec.after or spec.unique_key is not None for spec in specs)


def missing_message(spec: JobSpec, dep: str, batch: bool) -> str:
    hint = " (a file may name only jobs on earlier lines)" if batch else ""
    if spec.id is None:
        return f"dependency {dep!r} does not exist{hint}"
    return f"job {spec.id!r} names dependency {dep!r}, which does not exist{hint}"


def listed(after: Sequence[str], rows: Iterable[Sequence[Any]]) -> list[Dependency]:
    """``after`` in its own order, each id with its state from ``rows`` (id, state)."""
    states = {str(row[0]): row[1] for row in rows}
    return [Dependency(dep, _state(states.get(dep))) for dep in after]


def _state(value: object) -> JobState | None:
    if value is None:
        return None
    try:
        return JobState(str(value))
    except ValueError:
        return JobState.DEAD  # as rows.py reads a state no queuectl writes


def key_taken(job_ids: Sequence[str] | None) -> InvalidState:
    """The error for a retry that would give a unique key a second unfinished job (``None``:
    the retry of every dead job)."""
    shown = "every dead job" if job_ids is None else ", ".join(repr(i) for i in job_ids)
    return InvalidState(f"cannot retry {shown}: another unfinished job holds the same unique key")
