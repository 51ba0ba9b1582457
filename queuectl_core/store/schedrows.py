"""Schedule rows as models, shared by both stores: whatever a column holds, a ``Schedule``."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

from queuectl_core.models import JobState
from queuectl_core.moments import integer, integer_or, moment, moment_or, seconds, text
from queuectl_core.recurrence import DEFAULT_ZONE, Rule
from queuectl_core.schedule_model import Schedule, ScheduleSpec

#: Every schedule query selects these, then the last job's state, exit code and error.
SCHEDULE_COLUMNS = (
    "s.name, s.command, s.queue, s.priority, s.max_retries, s.timeout, s.env, s.cwd, s.cron,"
    " s.every, s.tz, s.paused, s.next_run, s.last_run, s.last_job, s.created_at"
)
#: The values of one new row, in the order of the INSERT statements of both stores.
INSERT_ORDER = (
    "name, command, queue, priority, max_retries, timeout, env, cwd, cron, every, tz,"
    " paused, next_run, created_at"
)


def rule_from(cron: object, every: object, tz: object) -> Rule:
    return Rule(text(cron), seconds(every), text(tz) or DEFAULT_ZONE)


def _env(value: object) -> dict[str, str]:
    try:
        data = json.loads(value) if isinstance(value, str | bytes) else value
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _state(value: object) -> JobState | None:
    try:
        return JobState(text(value) or "")
    except ValueError:
        return None


def _timeout(value: object) -> float | None:
    found = seconds(value)
    return found if found is not None and found > 0 and math.isfinite(found) else None


def schedule_from_row(row: Sequence[Any]) -> Schedule:
    """A row of ``SCHEDULE_COLUMNS`` plus the last job's state, exit code and error."""
    spec = ScheduleSpec(
        name=text(row[0]) or "",
        rule=rule_from(row[8], row[9], row[10]),
        command=text(row[1]) or "",
        queue=text(row[2]) or "",
        priority=integer_or(row[3]),
        max_retries=integer(row[4]),
        timeout=_timeout(row[5]),
        env=_env(row[6]),
        cwd=text(row[7]),
    )
    return Schedule(
        spec=spec,
        paused=bool(row[11]),
        next_run=moment(row[12]),
        last_run=moment(row[13]),
        last_job=text(row[14]),
        created_at=moment_or(row[15]),
        last_state=_state(row[16]),
        last_exit_code=integer(row[17]),
        last_error=text(row[18]),
    )


def insert_values(spec: ScheduleSpec, next_run: float, now: float) -> tuple[Any, ...]:
    """The values of ``INSERT_ORDER`` for a new, running schedule."""
    env = json.dumps(spec.env) if spec.env else "{}"
    rule = spec.rule
    return (
        spec.name,
        spec.command,
        spec.queue,
        spec.priority,
        spec.max_retries,
        spec.timeout,
        env,
        spec.cwd,
        rule.cron,
        rule.every,
        rule.tz,
        False,
        next_run,
        now,
    )
