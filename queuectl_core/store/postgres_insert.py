"""Plain enqueue on PostgreSQL (no dependencies, no unique keys): parallel arrays for
``INSERT_JOBS``, and large batches sent in chunks that overlap the client's work with the
server's.

One statement of 50,000 rows keeps the client idle while the server writes them, and the server
idle while the client encodes them. In chunks inside one transaction, the next chunk's arrays and
the previous chunk's ``Job`` values are built while the server writes the current one (the two
run on different cores). Every chunk is written at one time read first, so a batch shares one
``created_at`` as a single statement would.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from typing import Any

from queuectl_core.config import Config
from queuectl_core.models import Job, JobSpec, JobState
from queuectl_core.store import postgres_sql as sql
from queuectl_core.store.common import job_retries, job_timeout
from queuectl_core.store.postgres_base import Conn

#: Rows per INSERT when a batch is sent in chunks; a batch this size or smaller is one statement.
CHUNK = 10_000


def insert_columns(specs: Sequence[JobSpec], ids: Sequence[str], config: Config) -> list[list[Any]]:
    """``INSERT_JOBS``'s parallel arrays ($2..$11) for these specs."""
    columns: list[list[Any]] = [list(ids), [], [], [], [], [], [], [], [], []]
    for spec in specs:
        retries, timeout = job_retries(spec, config), job_timeout(spec, config)
        values = (spec.command, spec.queue, spec.priority, retries, timeout, spec.run_at)
        env = json.dumps(spec.env) if spec.env else "{}"
        for column, value in zip(columns[1:], (*values, env, spec.cwd, spec.delay), strict=True):
            column.append(value)
    return columns


def inserted_jobs(specs: Sequence[JobSpec], columns: list[list[Any]], now: float) -> list[Job]:
    """The jobs ``INSERT_JOBS`` wrote from ``columns``, as the store would read them back."""
    return [
        Job(
            job_id,
            spec.command,
            JobState.PENDING,
            spec.queue,
            priority,
            0,
            retries,
            timeout,
            now + (spec.delay or 0.0) if run_at is None else run_at,
            now,
            now,
            spec.env,
            spec.cwd,
        )
        for job_id, spec, priority, retries, timeout, run_at in zip(
            columns[0], specs, columns[3], columns[4], columns[5], columns[6], strict=True
        )
    ]


async def insert_chunked(
    conn: Conn, specs: Sequence[JobSpec], ids: Sequence[str], config: Config, now: float
) -> list[Job]:
    """Insert in chunks of ``CHUNK`` rows, all at ``now``; in the caller's transaction."""
    statement = await conn.prepare(sql.INSERT_JOBS)  # each chunk then goes out at once
    chunks = [(specs[s : s + CHUNK], ids[s : s + CHUNK]) for s in range(0, len(specs), CHUNK)]
    columns = insert_columns(*chunks[0], config)
    jobs: list[Job] = []
    previous: tuple[Sequence[JobSpec], list[list[Any]]] | None = None
    for index, (part, _) in enumerate(chunks):
        sent = asyncio.ensure_future(statement.fetchval(now, *columns))
        try:
            await asyncio.sleep(0)  # the task sends the chunk; the work below overlaps it
            if previous is not None:
                jobs.extend(inserted_jobs(*previous, now))
            previous = (part, columns)
            if index + 1 < len(chunks):
                columns = insert_columns(*chunks[index + 1], config)
        finally:
            await asyncio.wait([sent])  # never leave the transaction with a chunk in flight
        sent.result()  # what the server reported, a duplicate id say
    assert previous is not None
    jobs.extend(inserted_jobs(*previous, now))
    return jobs
