"""Row -> model conversion shared by the backends (columns in ``JOB_COLUMNS`` order)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from queuectl_core.models import Attempt, Job, JobSort, JobState, WorkerInfo
from queuectl_core.moments import integer, integer_or, moment, moment_or, seconds, text


def _env(value: object) -> dict[str, str]:
    if value == "{}":
        return {}  # most jobs: no JSON parse
    try:
        data = json.loads(value) if isinstance(value, str | bytes) else value
    except ValueError:
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(k): str(v) for k, v in data.items()}


def _state(value: object) -> JobState:
    """A stored state; one no version of queuectl writes (a hand edit) reads as ``dead``: it is
    never claimed again, so it belongs with the jobs an operator has to look at."""
    try:
        return JobState(text(value) or "")
    except ValueError:
        return JobState.DEAD


def stored_state(value: object) -> JobState:
    """A stored state as every reader takes it (see ``_state``)."""
    return _state(value)


def _names(value: object) -> tuple[str, ...]:
    try:
        data = json.loads(value) if isinstance(value, str | bytes) else value
    except ValueError:
        return ()
    return tuple(str(x) for x in data) if isinstance(data, list | tuple) else ()


def job_from_row(row: Sequence[Any]) -> Job:
    """Whatever the columns hold, a ``Job`` every reader can format (see ``moments``)."""
    return Job(
        id=text(row[0]) or "",
        command=text(row[1]) or "",
        state=_state(row[2]),
        queue=text(row[3]) or "",
        priority=integer_or(row[4]),
        attempts=integer_or(row[5]),
        max_retries=integer_or(row[6]),
        timeout=seconds(row[7]),
        run_at=moment_or(row[8]),
        created_at=moment_or(row[9]),
        updated_at=moment_or(row[10]),
        env=_env(row[11]),
        cwd=text(row[12]),
        started_at=moment(row[13]),
        finished_at=moment(row[14]),
        exit_code=integer(row[15]),
        last_error=text(row[16]),
        worker_id=text(row[17]),
        lease_expires_at=moment(row[18]),
        runs=integer_or(row[19]),
        after=_names(row[20]),
        unique_key=text(row[21]),
        schedule=text(row[22]),
    )


def attempt_from_row(row: Sequence[Any]) -> Attempt:
    return Attempt(
        job_id=text(row[0]) or "",
        attempt=integer_or(row[1]),
        worker_id=text(row[2]),
        started_at=moment_or(row[3]),
        finished_at=moment(row[4]),
        exit_code=integer(row[5]),
        error=text(row[6]),
    )


def worker_from_row(row: Sequence[Any]) -> WorkerInfo:
    return WorkerInfo(
        id=text(row[0]) or "",
        host=text(row[1]) or "",
        pid=integer_or(row[2]),
        slots=integer_or(row[3]),
        queues=_names(row[4]),
        started_at=moment_or(row[5]),
        heartbeat_at=moment_or(row[6]),
        current_jobs=_names(row[7]),
        stop_requested=bool(row[8]),
    )


_SORT_KEYS = {
    JobSort.CREATED: "seq",
    JobSort.UPDATED: "updated_at",
    JobSort.ID: "id",
    JobSort.PRIORITY: "priority",
    JobSort.QUEUE: "queue",
    # The lifecycle, not the alphabet.
    JobSort.STATE: "CASE state "
    + " ".join(f"WHEN '{s}' THEN {n}" for n, s in enumerate(JobState))
    + " END",
}


def job_order(sort: JobSort, descending: bool) -> str:
    """The ORDER BY clause of a job list; ties keep enqueue order (in the same direction)."""
    way = "DESC" if descending else "ASC"
    key = _SORT_KEYS[sort]
    if key == "seq":
        return f" ORDER BY seq {way}"
    return f" ORDER BY {key} {way}, seq {way}"


def duplicate_message(ids: Sequence[str], existing: set[str]) -> str:
    """The one error text for a batch with a taken id, whichever store noticed it."""
    seen: set[str] = set()
    for job_id in ids:
        if job_id in seen:
            return f"job id {job_id!r} appears twice in the input"
        if job_id in existing:
            return f"job {job_id!r} already exists"
        seen.add(job_id)
    return "duplicate job id"


def like_pattern(text: str) -> str:
    """A LIKE pattern matching ``text`` literally anywhere (escape char: backslash)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def percentile(sorted_values: Sequence[float], fraction: float) -> float | None:
    """Nearest-rank percentile of already sorted values."""
    if not sorted_values:
        return None
    index = min(len(sorted_values) - 1, max(0, round(fraction * (len(sorted_values) - 1))))
    return float(sorted_values[index])
