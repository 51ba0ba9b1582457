"""SQL for the SQLite store: every statement it runs (the schema is in ``sqlite_schema``)."""

from queuectl_core.lifecycle import CLAIMABLE_STATES, UNFINISHED_STATES
from queuectl_core.store.common import sql_states

#: The state sets the statements use (migrations keep their literal text: never edit those).
CLAIMABLE = sql_states(CLAIMABLE_STATES)
UNFINISHED = sql_states(UNFINISHED_STATES)

JOB_COLUMNS = (
    "id, command, state, queue, priority, attempts, max_retries, timeout, run_at, created_at,"
    " updated_at, env, cwd, started_at, finished_at, exit_code, last_error, worker_id,"
    " lease_expires_at, runs, after_ids, unique_key, schedule"
)

#: The columns ``SqliteJobs.enqueue`` writes, in the order of each row's values (state is
#: always 'pending'). A new job field is one more name here and one more value per row.
INSERT_COLUMNS = (
    "id",
    "command",
    "queue",
    "priority",
    "max_retries",
    "timeout",
    "run_at",
    "created_at",
    "updated_at",
    "env",
    "cwd",
)
#: Rows per INSERT statement: one statement over many rows costs ~4 us a row against ~23 for
#: one statement per row (each statement that fires a trigger opens its own statement journal).
#: 11 values a row stays well under SQLite's 32,766 bound parameters.
INSERT_ROWS = 500


def insert_jobs(rows: int) -> str:
    """``INSERT INTO jobs ... VALUES (...), (...)`` for ``rows`` rows of ``INSERT_COLUMNS``."""
    one = "('pending'" + ", ?" * len(INSERT_COLUMNS) + ")"
    columns = ", ".join(INSERT_COLUMNS)
    return f"INSERT INTO jobs (state, {columns}) VALUES " + ", ".join([one] * rows)


SELECT_JOB = f"SELECT {JOB_COLUMNS} FROM jobs WHERE id = ?"

SET_CONFIG = """
INSERT INTO config (key, value) VALUES (?, ?)
ON CONFLICT (key) DO UPDATE SET value = excluded.value
"""

ATTEMPTS = """
SELECT job_id, attempt, worker_id, started_at, finished_at, exit_code, error FROM attempts WHERE
job_id = ? ORDER BY attempt
"""

STATE_COUNTS = """
SELECT state, n FROM state_counts
"""

RECENT_DURATIONS = """
SELECT finished_at - started_at FROM jobs INDEXED BY jobs_state_finished WHERE state =
'completed' AND finished_at > ? ORDER BY finished_at DESC LIMIT 10000
"""

RECENT_FINISHES = """
SELECT finished_at FROM jobs INDEXED BY jobs_state_finished WHERE state = 'completed' AND
finished_at > ?
"""

LATEST_ATTEMPT = """
SELECT attempt, finished_at FROM attempts WHERE job_id = ? ORDER BY attempt DESC LIMIT 1
"""

ATTEMPT = """
SELECT attempt, finished_at FROM attempts WHERE job_id = ? AND attempt = ?
"""

OUTPUT = """
SELECT stdout, stderr FROM outputs WHERE job_id = ? AND attempt = ?
"""

LOCAL_WORKERS = """
SELECT id FROM workers WHERE host = ? AND heartbeat_at > ?
"""

CONFIG = """
SELECT key, value FROM config
"""

CANCEL = """
UPDATE jobs SET state = 'cancelled', finished_at = ?, updated_at = ?, lease_expires_at = NULL,
last_error = 'cancelled by operator' WHERE id = ?
"""

RETRY = """
UPDATE jobs SET state = 'pending', run_at = ?, updated_at = ?, attempts = CASE WHEN ? THEN 0
ELSE attempts END WHERE id = ?
"""

RETRY_ALL_DEAD = """
UPDATE jobs SET state = 'pending', attempts = 0, run_at = ?, updated_at = ? WHERE state = 'dead'
"""

PURGE = """
DELETE FROM jobs WHERE state = ? AND coalesce(finished_at, updated_at) < ?
"""

#: What ``PURGE`` would delete (the purge dialog's count), with the same condition.
COUNT_PURGEABLE = """
SELECT count(*) FROM jobs WHERE state = ? AND coalesce(finished_at, updated_at) < ?
"""

UNFINISHED_COUNT = f"""
SELECT sum(n) FROM state_counts WHERE state IN {UNFINISHED}
"""

JOB_EXISTS = """
SELECT 1 FROM jobs WHERE id = ?
"""

NEXT_DUE = f"""
SELECT min(run_at) FROM jobs WHERE state IN {CLAIMABLE} AND waiting = 0
"""

# Queues that cannot take a job now: paused, or as many jobs processing as their limit.
BLOCKED_QUEUES = """
SELECT name FROM queues WHERE paused OR (concurrency > 0 AND concurrency <= (
    SELECT count(*) FROM jobs p WHERE p.state = 'processing' AND p.queue = queues.name))
"""

# With queue rules in force, only jobs due later, outside blocked queues: a blocked queue's due
# jobs would wake an idle worker for nothing, again and again (it polls instead), and due jobs
# of other queues are the claim's (it just found none). Walks jobs_due from now on, so a paused
# backlog of due jobs is never read.
NEXT_DUE_LATER = f"""
SELECT min(run_at) FROM jobs INDEXED BY jobs_due
WHERE state IN {CLAIMABLE} AND waiting = 0 AND run_at > ? AND queue NOT IN ({BLOCKED_QUEUES})
"""

REGISTER_WORKER = """
INSERT INTO workers (id, host, pid, slots, queues, started_at, heartbeat_at, current_jobs,
stop_requested) VALUES (?, ?, ?, ?, ?, ?, ?, '[]', 0) ON CONFLICT (id) DO UPDATE SET host =
excluded.host, pid = excluded.pid, slots = excluded.slots, queues = excluded.queues,
heartbeat_at = excluded.heartbeat_at
"""

LIVE_WORKERS = """
SELECT id, host, pid, slots, queues, started_at, heartbeat_at, current_jobs, stop_requested FROM
workers WHERE heartbeat_at > ? ORDER BY started_at
"""

DROP_SILENT_WORKERS = """
DELETE FROM workers WHERE heartbeat_at < ?
"""

REQUEST_STOP = """
UPDATE workers SET stop_requested = 1 WHERE heartbeat_at > ?
"""

RELEASE = """
UPDATE jobs SET state = 'pending', attempts = max(attempts - 1, 0), runs = runs - 1, run_at = ?,
updated_at = ?, started_at = NULL, lease_expires_at = NULL WHERE id = ? AND worker_id = ? AND
runs = ? AND state = 'processing'
"""

DELETE_ATTEMPT = """
DELETE FROM attempts WHERE job_id = ? AND attempt = ?
"""

DELETE_OUTPUT = """
DELETE FROM outputs WHERE job_id = ? AND attempt = ?
"""

DELETE_WORKER = """
DELETE FROM workers WHERE id = ?
"""

BEAT = """
UPDATE workers SET heartbeat_at = ?, current_jobs = ? WHERE id = ? RETURNING stop_requested
"""

RENEW_LEASE = """
UPDATE jobs SET lease_expires_at = ? WHERE id = ? AND worker_id = ? AND runs = ? AND state =
'processing'
"""

# Filled in with ``filters.where_sql`` and ``rows.job_order``.
LIST_JOBS = f"SELECT {JOB_COLUMNS} FROM jobs{{where}} {{order}} LIMIT ? OFFSET ?"
COUNT_JOBS = "SELECT count(*) FROM jobs{where}"

UNFINISHED_IN = f"""
SELECT 1 FROM jobs WHERE state IN {UNFINISHED} AND queue IN ({{marks}}) LIMIT 1
"""

PAUSED_QUEUES = """
SELECT name FROM queues WHERE paused
"""

# With a queue paused, ``worker start --drain`` waits for running jobs anywhere and for waiting
# jobs outside the paused queues, found one index probe per queue (never a paused backlog).
PROCESSING_IN_ANY = """
SELECT 1 FROM jobs WHERE state = 'processing' {queue_filter} LIMIT 1
"""
WAITING_IN = f"""
SELECT 1 FROM jobs INDEXED BY jobs_queue_ready
WHERE queue = ? AND state IN {CLAIMABLE} AND waiting = 0 LIMIT 1
"""
