"""SQL for the PostgreSQL store: versioned migrations and the statements the store runs.

Every statement that needs the time takes it as ``$1``: the injected test clock, or NULL for the
database clock. ``T`` turns that into one value per statement, so a job's started_at, its lease and
its attempt record agree to the microsecond, whichever host ran the statement.
"""

from queuectl_core.lifecycle import CLAIMABLE_STATES, UNFINISHED_STATES
from queuectl_core.store.common import sql_states

#: The state sets the statements use (migrations keep their literal text: never edit those).
CLAIMABLE = sql_states(CLAIMABLE_STATES)
UNFINISHED = sql_states(UNFINISHED_STATES)

#: Everything lives in its own schema, so a shared database keeps its own ``jobs`` table.
SCHEMA = "queuectl"
#: pg_advisory_xact_lock keys (any constants unique to queuectl): migrations, config writes.
MIGRATION_LOCK = 0x71_75_65_75_65_01
CONFIG_LOCK = 0x71_75_65_75_65_02
COUNTS_LOCK = 0x71_75_65_75_65_03
#: LISTEN/NOTIFY channels (per database).
WORK_CHANNEL = "queuectl_work"
CONTROL_CHANNEL = "queuectl_control"

NOW = "SELECT extract(epoch from clock_timestamp())::float8"
T = (
    "t AS MATERIALIZED (SELECT coalesce($1::float8, extract(epoch from clock_timestamp()))::float8"
    " AS now)"
)

JOB_COLUMNS = (
    "id, command, state, queue, priority, attempts, max_retries, timeout, run_at, created_at,"
    " updated_at, env, cwd, started_at, finished_at, exit_code, last_error, worker_id,"
    " lease_expires_at, runs, after_ids, unique_key, schedule"
)


def aliased_columns(alias: str) -> str:
    return ", ".join(f"{alias}.{c.strip()}" for c in JOB_COLUMNS.split(","))


SELECT_JOB = f"SELECT {JOB_COLUMNS} FROM jobs WHERE id = $1"

# $2.. are parallel arrays, one element per job; unnest keeps their order, so seq follows it.
# Returns only the statement's time: the caller builds the jobs from what it sent (reading 50,000
# rows back cost more than inserting them).
INSERT_JOBS = f"""
WITH {T}, inserted AS (
INSERT INTO jobs (id, command, state, queue, priority, max_retries, timeout, run_at,
                  created_at, updated_at, env, cwd)
SELECT x.id, x.command, 'pending', x.queue, x.priority, x.max_retries, x.timeout,
       coalesce(x.run_at, t.now + coalesce(x.delay, 0)), t.now, t.now, x.env::jsonb, x.cwd
FROM t, unnest($2::text[], $3::text[], $4::text[], $5::int[], $6::int[], $7::float8[],
               $8::float8[], $9::text[], $10::text[], $11::float8[])
     AS x(id, command, queue, priority, max_retries, timeout, run_at, env, cwd, delay)
)
SELECT now FROM t
"""

CANCEL = f"""
UPDATE jobs SET state = 'cancelled', finished_at = $1, updated_at = $1, lease_expires_at = NULL,
    last_error = 'cancelled by operator'
WHERE id = ANY($2::text[])
RETURNING {JOB_COLUMNS}
"""

# A final job starts over with a full set of attempts; a failed one only skips its wait.
RETRY = f"""
UPDATE jobs SET state = 'pending', run_at = $1, updated_at = $1,
    attempts = CASE WHEN state = 'failed' THEN attempts ELSE 0 END
WHERE id = ANY($2::text[])
RETURNING {JOB_COLUMNS}
"""

RETRY_ALL_DEAD = f"""
WITH {T}
UPDATE jobs SET state = 'pending', attempts = 0, run_at = t.now, updated_at = t.now
FROM t WHERE state = 'dead'
"""

# Sums base + deltas in one snapshot; ``pending_deltas`` tells the caller when to fold.
COUNTS = """
SELECT state, sum(n)::bigint, count(*) - 1 FROM (
    SELECT state, n FROM state_counts
    UNION ALL SELECT state, n FROM state_deltas
) x GROUP BY state
"""

# Concurrent folds are safe: a delta row can be deleted (and so added) only once.
FOLD_COUNTS = """
WITH gone AS (DELETE FROM state_deltas RETURNING state, n),
sums AS (SELECT state, sum(n) AS n FROM gone GROUP BY state)
UPDATE state_counts c SET n = c.n + sums.n FROM sums WHERE c.state = sums.state
"""

# The latest attempt (or attempt $2) and its output, if any was saved.
OUTPUT = """
SELECT a.attempt, a.finished_at, o.stdout, o.stderr
FROM attempts a LEFT JOIN outputs o ON o.job_id = a.job_id AND o.attempt = a.attempt
WHERE a.job_id = $1 AND ($2::int IS NULL OR a.attempt = $2)
ORDER BY a.attempt DESC LIMIT 1
"""

WORKER_COLUMNS = (
    "id, host, pid, slots, queues, started_at, heartbeat_at, current_jobs, stop_requested"
)

REGISTER_WORKER = f"""
WITH {T}
INSERT INTO workers (id, host, pid, slots, queues, started_at, heartbeat_at, current_jobs,
                     stop_requested)
SELECT $2, $3, $4, $5, $6::jsonb, t.now, t.now, '[]', false FROM t
ON CONFLICT (id) DO UPDATE SET host = excluded.host, pid = excluded.pid, slots = excluded.slots,
    queues = excluded.queues, heartbeat_at = excluded.heartbeat_at
"""

LOCK = "SELECT pg_advisory_xact_lock($1)"

SET_CONFIG = """
INSERT INTO config (key, value) VALUES ($1, $2)
ON CONFLICT (key) DO UPDATE SET value = excluded.value
"""

SNAPSHOT = """
SELECT pg_current_snapshot()::text
"""

ATTEMPTS = """
SELECT job_id, attempt, worker_id, started_at, finished_at, exit_code, error FROM attempts WHERE
job_id = $1 ORDER BY attempt
"""

RECENT_DURATIONS = """
SELECT finished_at - started_at FROM jobs WHERE state = 'completed' AND finished_at > $1 ORDER
BY finished_at DESC LIMIT 10000
"""

RECENT_FINISHES = """
SELECT finished_at FROM jobs WHERE state = 'completed' AND finished_at > $1
"""

CONFIG = """
SELECT key, value FROM config
"""

TRY_LOCK = """
SELECT pg_try_advisory_xact_lock($1)
"""

EXISTING_IDS = """
SELECT id FROM jobs WHERE id = ANY($1::text[])
"""

PURGE = """
DELETE FROM jobs WHERE state = ANY($1::text[]) AND coalesce(finished_at, updated_at) < $2
"""

#: What ``PURGE`` would delete (the purge dialog's count), with the same condition.
COUNT_PURGEABLE = """
SELECT count(*) FROM jobs WHERE state = ANY($1::text[]) AND coalesce(finished_at, updated_at) < $2
"""

UNFINISHED_IN = f"""
SELECT 1 FROM jobs WHERE state IN {UNFINISHED} AND queue =
ANY($1::text[]) LIMIT 1
"""

NOTIFY = """
SELECT pg_notify($1, '')
"""

DELETE_WORKER = """
DELETE FROM workers WHERE id = $1
"""

NEXT_DUE = f"""
SELECT min(run_at) FROM jobs WHERE state IN {CLAIMABLE} AND waiting = 0 AND ($1::text[] IS NULL OR
queue = ANY($1::text[]))
"""

ANY_RULES = """
SELECT EXISTS (SELECT 1 FROM queues WHERE paused OR concurrency > 0)
"""

# With queue rules in force, only jobs due after $2, outside blocked queues (paused, or as many
# processing as their limit): a blocked queue's due jobs would wake an idle worker for nothing,
# again and again (it polls instead), and due jobs of other queues are the claim's (it just found
# none). Walks jobs_due from $2 on, so a paused backlog of due jobs is never read.
NEXT_DUE_LATER = f"""
SELECT min(run_at) FROM jobs WHERE state IN {CLAIMABLE} AND waiting = 0 AND run_at > $2
AND ($1::text[] IS NULL OR queue = ANY($1::text[])) AND queue NOT IN (
    SELECT name FROM queues WHERE paused OR (concurrency > 0 AND concurrency <= (
        SELECT count(*) FROM jobs p WHERE p.state = 'processing' AND p.queue = queues.name)))
"""

ANY_PAUSED = """
SELECT 1 FROM queues WHERE paused LIMIT 1
"""

# The queues with waiting jobs, one probe of jobs_queue_ready each (a loose index scan); the
# last row is NULL. Needs WITH RECURSIVE.
WAITING_QUEUES = f"""
waiting(queue) AS (
    (SELECT queue FROM jobs WHERE state IN {CLAIMABLE} AND waiting = 0 ORDER BY queue LIMIT 1)
    UNION ALL
    SELECT (SELECT j.queue FROM jobs j
            WHERE j.state IN {CLAIMABLE} AND j.waiting = 0 AND j.queue > w.queue
            ORDER BY j.queue LIMIT 1)
    FROM waiting w WHERE w.queue IS NOT NULL
)"""

# What ``worker start --drain`` waits for when a queue is paused: running jobs anywhere, and
# waiting jobs outside the paused queues ($1: the worker's queues, or NULL), found one index
# probe per queue (never a paused backlog). A draining worker would wait for those forever.
UNFINISHED_UNPAUSED = f"""
WITH RECURSIVE {WAITING_QUEUES}
SELECT EXISTS (
    SELECT 1 FROM jobs
    WHERE state = 'processing' AND ($1::text[] IS NULL OR queue = ANY($1::text[]))
) OR EXISTS (
    SELECT 1 FROM waiting w WHERE w.queue IS NOT NULL
    AND ($1::text[] IS NULL OR w.queue = ANY($1::text[]))
    AND w.queue NOT IN (SELECT name FROM queues WHERE paused)
)
"""

REQUEST_STOP = """
UPDATE workers SET stop_requested = true WHERE heartbeat_at > $1
"""

DROP_SILENT_WORKERS = """
DELETE FROM workers WHERE heartbeat_at < $1
"""

DELETE_WORKERS = """
DELETE FROM workers WHERE id = ANY($1::text[])
"""

LIVE_WORKERS = f"SELECT {WORKER_COLUMNS} FROM workers WHERE heartbeat_at > $1 ORDER BY started_at"

# In id order, so concurrent operator changes cannot deadlock.
LOCK_JOBS = f"SELECT {JOB_COLUMNS} FROM jobs WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE"

# Filled in with ``filters.where_sql`` and ``rows.job_order``, then the placeholder numbers.
LIST_JOBS = f"SELECT {JOB_COLUMNS} FROM jobs{{where}}{{order}} LIMIT ${{limit}} OFFSET ${{offset}}"
COUNT_JOBS = "SELECT count(*) FROM jobs{where}"

SELECT_JOBS = f"SELECT {JOB_COLUMNS} FROM jobs WHERE id = ANY($1::text[])"
