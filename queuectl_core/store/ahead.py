"""How many claimable jobs a worker would take before a given one (``queuectl why``).

Claim order is ``priority DESC, seq``, so "ahead" means due, claimable jobs of the same queue with
a higher priority, or the same priority and an earlier ``seq``. The count stops at ``AHEAD_CAP``:
past ten thousand the exact figure tells an operator nothing more, and a bounded count keeps
``why`` quick on a store with a million pending jobs.
"""

from __future__ import annotations

from queuectl_core.lifecycle import CLAIMABLE_STATES
from queuectl_core.store.common import sql_states

AHEAD_CAP = 10_000

_CLAIMABLE = sql_states(CLAIMABLE_STATES)

SQLITE_JOBS_AHEAD = f"""
SELECT count(*) FROM (
    SELECT 1 FROM jobs AS a INDEXED BY jobs_queue_ready, jobs AS me
    WHERE me.id = :id AND a.state IN {_CLAIMABLE} AND a.queue = me.queue AND a.run_at <= :now
      AND a.waiting = 0  -- jobs waiting on dependencies are not ahead (nor in jobs_queue_ready)
      AND (a.priority > me.priority OR (a.priority = me.priority AND a.seq < me.seq))
    LIMIT {AHEAD_CAP}
)
"""

POSTGRES_JOBS_AHEAD = f"""
SELECT count(*) FROM (
    SELECT 1 FROM jobs AS a, jobs AS me
    WHERE me.id = $1 AND a.state IN {_CLAIMABLE} AND a.queue = me.queue
      AND a.run_at <= coalesce($2::float8, extract(epoch from clock_timestamp()))
      AND a.waiting = 0
      AND (a.priority > me.priority OR (a.priority = me.priority AND a.seq < me.seq))
    LIMIT {AHEAD_CAP}
) AS ahead
"""
