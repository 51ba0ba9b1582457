"""SQLite store: enqueueing jobs with dependencies or unique keys, and what follows a retry.

The counters and the cascade live in triggers (``sqlite_schema``, the fifth migration); this module
only writes what the triggers read: the edges, each job's starting ``waiting`` count and the
``dependents`` hint on the jobs named.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from queuectl_core.errors import JobNotFound
from queuectl_core.models import Added, Dependency, JobSpec, JobState
from queuectl_core.store import sqlite_deps_sql as deps_sql
from queuectl_core.store import sqlite_sql as sql
from queuectl_core.store.deps import listed, missing_message
from queuectl_core.store.rows import job_from_row
from queuectl_core.store.sqlite_base import Conn


def add_linked(
    conn: Conn, specs: Sequence[JobSpec], rows: Sequence[tuple[object, ...]], now: float
) -> list[Added]:
    """Insert one job at a time, in order, so a job can name one defined earlier in the batch.

    Raises JobNotFound for a dependency that does not exist (the caller rolls back).
    """
    named: dict[str, str] = {}  # an id given in this batch -> the job standing for it
    added: list[Added] = []
    for spec, row in zip(specs, rows, strict=True):
        deps = list(dict.fromkeys(named.get(name, name) for name in spec.after))
        waiting = 0
        if deps:
            marks = ", ".join("?" * len(deps))
            found = dict(conn.execute(deps_sql.MARK_DEPS.format(marks=marks), deps).fetchall())
            missing = [dep for dep in deps if dep not in found]
            if missing:
                raise JobNotFound(missing_message(spec, missing[0], len(specs) > 1))
            waiting = sum(state != JobState.COMPLETED for state in found.values())
        after = json.dumps(deps) if deps else None
        got = conn.execute(deps_sql.INSERT_JOB, (*row, after, spec.unique_key, waiting)).fetchone()
        if got is None:  # the key is taken: the job holding it stands for this one
            holder = job_from_row(conn.execute(deps_sql.KEY_HOLDER, (spec.unique_key,)).fetchone())
            added.append(Added(holder, created=False))
        else:
            job = job_from_row(got)
            conn.executemany(deps_sql.INSERT_DEP, [(job.id, dep) for dep in deps])
            added.append(Added(job))
        if spec.id is not None:
            named[spec.id] = added[-1].job.id
    linked = [a.job.id for a in added if a.created and a.job.after]
    if linked:
        # A dependency already dead or cancelled: the new job is cancelled at once.
        params = dict(zip((f"j{i}" for i in range(len(linked))), linked, strict=True))
        scope = "id IN (" + ", ".join(f":{name}" for name in params) + ")"
        conn.execute(deps_sql.CANCEL_ORPHANS.format(scope=scope), {**params, "now": now})
        return [_reloaded(conn, a) if a.created and a.job.after else a for a in added]
    return added


def _reloaded(conn: Conn, added: Added) -> Added:
    row = conn.execute(sql.SELECT_JOB, (added.job.id,)).fetchone()
    return Added(job_from_row(row), added.created)


def after_retry(conn: Conn, now: float) -> None:
    """Retried jobs wait again for what is not completed, or are cancelled at once when a
    dependency is dead or cancelled (retry that one first)."""
    conn.execute(deps_sql.RECOUNT_WAITING)
    scope = "after_ids IS NOT NULL"
    conn.execute(deps_sql.CANCEL_ORPHANS.format(scope=scope), {"now": now})


def dependencies(conn: Conn, job_id: str) -> list[Dependency]:
    row = conn.execute(sql.SELECT_JOB, (job_id,)).fetchone()
    after = job_from_row(row).after if row else ()
    if not after:
        return []
    states = []
    for start in range(0, len(after), sql.INSERT_ROWS):  # under SQLite's bound-parameter limit
        chunk = after[start : start + sql.INSERT_ROWS]
        marks = ", ".join("?" * len(chunk))
        states += conn.execute(deps_sql.STATES_OF.format(marks=marks), chunk).fetchall()
    return listed(after, states)
