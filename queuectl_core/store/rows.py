"""Row -> model conversion shared by the backends (columns in ``JOB_COLUMNS`` order)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from queuectl_core.models import Attempt, Job, JobState, WorkerInfo


def job_from_row(row: Sequence[Any]) -> Job:
    env = row[11]
    return Job(
        id=row[0],
        command=row[1],
        state=JobState(row[2]),
        queue=row[3],
        priority=row[4],
        attempts=row[5],
        max_retries=row[6],
        timeout=row[7],
        run_at=row[8],
        created_at=row[9],
        updated_at=row[10],
        env=json.loads(env) if isinstance(env, str) else dict(env or {}),
        cwd=row[12],
        started_at=row[13],
        finished_at=row[14],
        exit_code=row[15],
        last_error=row[16],
        worker_id=row[17],
        lease_expires_at=row[18],
        runs=row[19],
    )


def attempt_from_row(row: Sequence[Any]) -> Attempt:
    return Attempt(
        job_id=row[0],
        attempt=row[1],
        worker_id=row[2],
        started_at=row[3],
        finished_at=row[4],
        exit_code=row[5],
        error=row[6],
    )


def worker_from_row(row: Sequence[Any]) -> WorkerInfo:
    queues = row[4]
    current = row[7]
    return WorkerInfo(
        id=row[0],
        host=row[1],
        pid=row[2],
        slots=row[3],
        queues=tuple(json.loads(queues) if isinstance(queues, str) else queues),
        started_at=row[5],
        heartbeat_at=row[6],
        current_jobs=tuple(json.loads(current) if isinstance(current, str) else current),
        stop_requested=bool(row[8]),
    )


def job_filters(
    state: JobState | None,
    queue: str | None,
    search: str | None,
    mark: Callable[[int], str],
) -> tuple[str, list[Any]]:
    """The WHERE clause of list/count queries; ``mark(n)`` spells the n-th placeholder."""
    clauses: list[str] = []
    params: list[Any] = []

    def bind(value: Any) -> str:
        params.append(value)
        return mark(len(params))

    if state is not None:
        clauses.append(f"state = {bind(str(state))}")
    if queue is not None:
        clauses.append(f"queue = {bind(queue)}")
    if search:
        pattern = like_pattern(search)
        clauses.append(
            f"(id LIKE {bind(pattern)} ESCAPE '\\' OR command LIKE {bind(pattern)} ESCAPE '\\')"
        )
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


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
