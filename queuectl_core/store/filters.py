"""A ``JobFilter`` as SQL conditions, for both backends (``mark(n)`` spells placeholder n)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from queuectl_core.insight import JobFilter
from queuectl_core.models import JobState
from queuectl_core.store.rows import like_pattern


def merged(
    where: JobFilter | None, state: JobState | None, queue: str | None, search: str | None
) -> JobFilter:
    """``where`` with list_jobs' own state/queue/search arguments added (both must hold; a
    contradiction, such as two different queues, matches nothing)."""
    base = where or JobFilter()
    nothing = replace(base, ids=())
    if state is not None:
        base = replace(base, states=(state,)) if state in (base.states or (state,)) else nothing
    if queue is not None:
        base = replace(base, queue=queue) if base.queue in (None, queue) else nothing
    if search:
        base = replace(base, search=search)
    return base


def conditions(
    where: JobFilter, mark: Callable[[int], str], *, postgres: bool, params: list[Any]
) -> list[str]:
    """SQL conditions (to be ANDed) for ``where``; their values are appended to ``params``."""
    clauses: list[str] = []

    def bind(value: Any) -> str:
        params.append(value)
        return mark(len(params))

    if where.states:
        marks = ", ".join(bind(str(s)) for s in dict.fromkeys(where.states))
        clauses.append(f"state IN ({marks})")
    simple = (
        (where.queue, "queue = {}"),
        (where.exit_code, "exit_code = {}"),
        (where.since, "created_at >= {}"),
        (where.until, "created_at < {}"),
        (where.finished_before, "coalesce(finished_at, updated_at) < {}"),
    )
    clauses += [template.format(bind(value)) for value, template in simple if value is not None]
    for text, columns in ((where.search, ("id", "command")), (where.error, ("last_error",))):
        if text:
            pattern = like_pattern(text)
            either = " OR ".join(f"{c} LIKE {bind(pattern)} ESCAPE '\\'" for c in columns)
            clauses.append(f"({either})")
    if where.ids is not None:
        if postgres:
            clauses.append(f"id = ANY({bind(list(where.ids))}::text[])")
        else:
            clauses.append(f"id IN (SELECT value FROM json_each({bind(json.dumps(where.ids))}))")
    return clauses


def where_sql(
    where: JobFilter, mark: Callable[[int], str], *, postgres: bool
) -> tuple[str, list[Any]]:
    """`` WHERE ...`` (or nothing) and its parameters."""
    params: list[Any] = []
    clauses = conditions(where, mark, postgres=postgres, params=params)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params
