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


def _columns(alias: str) -> str:
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

# $2 worker, $3 limit, $4 queues (NULL: all), $5 lease seconds. The inner SELECT locks up to $3
# due rows in claim order and skips rows another claim holds; the UPDATE changes only rows this
# statement locked, and the attempt record opens with it.
#
# Queues (DESIGN section 8): ``gate`` reads the tiny queues table once. With no rule for the
# queues this worker serves (0, the usual case) the claim is the lock-free statement above. With
# one, this statement takes nothing and the caller runs CLAIM_RULED: unlocked if queues are
# only paused (1), under LIMITS_LOCK if one is limited (2), because SKIP LOCKED alone cannot
# bound how many rows concurrent claims take.
_CLAIM_GATE = """
gate AS MATERIALIZED (
    SELECT CASE
        WHEN EXISTS (SELECT 1 FROM queues WHERE concurrency > 0 AND NOT paused
                     AND ($4::text[] IS NULL OR name = ANY($4::text[]))) THEN 2
        WHEN EXISTS (SELECT 1 FROM queues WHERE paused
                     AND ($4::text[] IS NULL OR name = ANY($4::text[]))) THEN 1
        ELSE 0 END AS rules
)"""

_CLAIM_PICKED = f"""
picked AS MATERIALIZED (
    SELECT seq FROM jobs
    WHERE state IN {CLAIMABLE} AND run_at <= (SELECT now FROM t)
      AND ($4::text[] IS NULL OR queue = ANY($4::text[]))
      AND (SELECT rules FROM gate) = 0
      AND waiting = 0  -- dependencies (DESIGN §10): also in jobs_ready's WHERE, keep both
    ORDER BY priority DESC, seq
    LIMIT $3
    FOR UPDATE SKIP LOCKED
)"""

_CLAIM_UPDATE = f"""
claimed AS (
    UPDATE jobs j SET state = 'processing', attempts = attempts + 1, runs = runs + 1,
        worker_id = $2, started_at = t.now, finished_at = NULL, exit_code = NULL,
        lease_expires_at = t.now + $5, updated_at = t.now
    FROM t
    WHERE j.seq IN (SELECT seq FROM picked)
    RETURNING j.seq, {_columns("j")}
),
opened AS (
    INSERT INTO attempts (job_id, attempt, worker_id, started_at)
    SELECT id, runs, worker_id, started_at FROM claimed
    ON CONFLICT (job_id, attempt) DO UPDATE SET worker_id = excluded.worker_id,
        started_at = excluded.started_at, finished_at = NULL, exit_code = NULL, error = NULL
)"""

_CLAIM_CTES = f"{_CLAIM_GATE},{_CLAIM_PICKED},{_CLAIM_UPDATE}"

# One row per claimed job, or one all-NULL row; the first column is the gate.
CLAIM = f"""
WITH {T},{_CLAIM_CTES}
SELECT (SELECT rules FROM gate), {_columns("c")}
FROM (SELECT) AS one LEFT JOIN claimed c ON true
ORDER BY c.priority DESC, c.seq
"""

#: Held (transaction-scoped) by every claim while a queue has a limit: each claim counts the
#: processing jobs after the previous one committed, so no race takes a queue past its limit.
LIMITS_LOCK = 0x71_75_65_75_65_51

# Before CLAIM_RULED, in its transaction (one round trip, simple protocol): each queue's walk
# must be the ordered index scan. Planner statistics of a queue that just grew (a row estimate
# of 2 for 60,000 waiting jobs was seen) otherwise pick a bitmap scan that reads and sorts all
# of the queue's waiting jobs for every claim: 20-30 ms instead of 0.3.
RULED_PLAN = "SET LOCAL enable_bitmapscan = off; SET LOCAL enable_sort = off"
RULED_PLAN_LOCKED = f"{RULED_PLAN}; SELECT pg_advisory_xact_lock({LIMITS_LOCK})"

# The claim under the queues' rules (after LIMITS_LOCK, in its own statement: a fresh snapshot
# that sees every earlier claim). The queues with waiting jobs are found one index probe each
# (a loose scan of jobs_queue_ready), or are the worker's; each gives its best jobs up to $3, or
# up to its room (limit minus processing) if limited, none if paused; the best $3 of those win.
# A paused or full queue's waiting jobs are never read.
# The queues with waiting jobs, one probe of jobs_queue_ready each (a loose index scan); the
# last row is NULL. Needs WITH RECURSIVE.
_WAITING_QUEUES = f"""
waiting(queue) AS (
    (SELECT queue FROM jobs WHERE state IN {CLAIMABLE} AND waiting = 0 ORDER BY queue LIMIT 1)
    UNION ALL
    SELECT (SELECT j.queue FROM jobs j
            WHERE j.state IN {CLAIMABLE} AND j.waiting = 0 AND j.queue > w.queue
            ORDER BY j.queue LIMIT 1)
    FROM waiting w WHERE w.queue IS NOT NULL
)"""

CLAIM_RULED = f"""
WITH RECURSIVE {T},{_WAITING_QUEUES},
names(queue) AS (
    SELECT queue FROM waiting WHERE queue IS NOT NULL AND $4::text[] IS NULL
    UNION ALL SELECT unnest($4::text[])
),
room AS MATERIALIZED (
    SELECT n.queue, CASE WHEN q.concurrency > 0 THEN least($3, q.concurrency - (
        SELECT count(*) FROM jobs p WHERE p.state = 'processing' AND p.queue = n.queue))
        ELSE $3 END AS n
    FROM names n LEFT JOIN queues q ON q.name = n.queue
    WHERE NOT coalesce(q.paused, false)
),
picked AS MATERIALIZED (
    SELECT c.seq FROM room r CROSS JOIN LATERAL (
        SELECT seq, priority FROM jobs
        WHERE queue = r.queue AND state IN {CLAIMABLE} AND waiting = 0
          AND run_at <= (SELECT now FROM t)
        ORDER BY priority DESC, seq
        LIMIT greatest(r.n, 0)
        FOR UPDATE SKIP LOCKED
    ) c
    ORDER BY c.priority DESC, c.seq
    LIMIT $3
),{_CLAIM_UPDATE}
SELECT {JOB_COLUMNS} FROM claimed ORDER BY priority DESC, seq
"""

# The busy worker's hot path: record successful attempts and claim more in one statement (one
# round trip, one commit). $6.. are parallel arrays: job id, worker, run, exit code, stdout,
# stderr. Finished rows are 'processing' and claimed rows 'pending'/'failed', so the two never
# touch the same job. One row comes back per claimed job (or one all-NULL row), each carrying
# the ids whose results were recorded and the claim's gate.
FINISH_OK_AND_CLAIM = f"""
WITH {T},
x AS (
    SELECT * FROM unnest($6::text[], $7::text[], $8::int[], $9::int[], $10::text[], $11::text[])
        AS x(id, worker, run, exit_code, stdout, stderr)
),
done AS (
    UPDATE jobs j SET state = 'completed', finished_at = t.now, updated_at = t.now,
        exit_code = x.exit_code, last_error = NULL, lease_expires_at = NULL
    FROM t, x
    WHERE j.id = x.id AND j.worker_id = x.worker AND j.runs = x.run AND j.state = 'processing'
    RETURNING j.id
),
closed AS (
    UPDATE attempts a SET finished_at = coalesce(a.finished_at, t.now),
        exit_code = coalesce(a.exit_code, x.exit_code)
    FROM t, x
    WHERE a.job_id = x.id AND a.attempt = x.run AND a.worker_id = x.worker
),
saved AS (
    INSERT INTO outputs (job_id, attempt, stdout, stderr)
    SELECT x.id, x.run, x.stdout, x.stderr FROM x
    WHERE (x.stdout <> '' OR x.stderr <> '') AND EXISTS (SELECT 1 FROM jobs WHERE id = x.id)
    ON CONFLICT (job_id, attempt) DO UPDATE SET stdout = excluded.stdout, stderr = excluded.stderr
),{_CLAIM_CTES}
SELECT (SELECT array_agg(id) FROM done), (SELECT rules FROM gate), {_columns("c")}
FROM (SELECT) AS one LEFT JOIN claimed c ON true
ORDER BY c.priority DESC, c.seq
"""

# $2 worker, $3 current job ids (json), $4 lease seconds, $5/$6 running (job id, run) pairs.
HEARTBEAT = f"""
WITH {T},
w AS (
    UPDATE workers SET heartbeat_at = t.now, current_jobs = $3::jsonb FROM t
    WHERE id = $2 RETURNING stop_requested
),
renewed AS (
    UPDATE jobs j SET lease_expires_at = t.now + $4
    FROM t, unnest($5::text[], $6::int[]) AS x(id, run)
    WHERE j.id = x.id AND j.worker_id = $2 AND j.runs = x.run AND j.state = 'processing'
    RETURNING j.id, j.runs
)
SELECT (SELECT stop_requested FROM w), (SELECT array_agg(id) FROM renewed),
       (SELECT array_agg(runs) FROM renewed)
"""

# The budgets of the runs a worker still owns ($2.. parallel arrays job id, worker, run),
# locked, with the store's time: the fence, and what ``lifecycle.decide`` reads.
OWNED_RUNS = f"""
WITH {T}
SELECT j.id, j.attempts, j.max_retries, t.now
FROM t, jobs j, unnest($2::text[], $3::text[], $4::int[]) AS x(id, worker, run)
WHERE j.id = x.id AND j.worker_id = x.worker AND j.runs = x.run AND j.state = 'processing'
FOR UPDATE OF j
"""

# Applies a ``lifecycle.Transition``: $2 job, $3 worker, $4 run, $5 state, $6 exit code,
# $7 error, $8 next run time (NULL keeps the job's), $9/$10 output.
FINISH = f"""
WITH {T},
job AS (
    UPDATE jobs SET state = $5, run_at = coalesce($8::float8, run_at),
        finished_at = t.now, updated_at = t.now, exit_code = $6, last_error = $7,
        lease_expires_at = NULL
    FROM t
    WHERE id = $2 AND worker_id = $3 AND runs = $4 AND state = 'processing'
    RETURNING id
),
attempt AS (
    UPDATE attempts SET finished_at = coalesce(finished_at, t.now),
        exit_code = coalesce(exit_code, $6), error = coalesce(error, $7)
    FROM t
    WHERE job_id = $2 AND attempt = $4 AND worker_id = $3
),
saved AS (
    INSERT INTO outputs (job_id, attempt, stdout, stderr)
    SELECT $2, $4, $9, $10
    WHERE ($9 <> '' OR $10 <> '') AND EXISTS (SELECT 1 FROM jobs WHERE id = $2)
    ON CONFLICT (job_id, attempt) DO UPDATE SET stdout = excluded.stdout, stderr = excluded.stderr
)
SELECT count(*) FROM job
"""

# Live output only lands while the attempt is open, so a late flush never overwrites the
# final output that FINISH wrote.
SAVE_OUTPUT = """
INSERT INTO outputs (job_id, attempt, stdout, stderr)
SELECT x.job_id, x.attempt, x.stdout, x.stderr
FROM unnest($1::text[], $2::int[], $3::text[], $4::text[]) AS x(job_id, attempt, stdout, stderr)
WHERE EXISTS (
    SELECT 1 FROM attempts a
    WHERE a.job_id = x.job_id AND a.attempt = x.attempt AND a.finished_at IS NULL
)
ON CONFLICT (job_id, attempt) DO UPDATE SET stdout = excluded.stdout, stderr = excluded.stderr
"""

RELEASE = f"""
WITH {T},
job AS (
    UPDATE jobs SET state = 'pending', attempts = greatest(attempts - 1, 0), runs = runs - 1,
        run_at = t.now, updated_at = t.now, started_at = NULL, lease_expires_at = NULL
    FROM t
    WHERE id = $2 AND worker_id = $3 AND runs = $4 AND state = 'processing'
    RETURNING id
),
attempt AS (
    DELETE FROM attempts WHERE job_id IN (SELECT id FROM job) AND attempt = $4
),
output AS (
    DELETE FROM outputs WHERE job_id IN (SELECT id FROM job) AND attempt = $4
)
SELECT count(*) FROM job
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

# Rows a live worker is renewing right now are skipped, not waited for.
EXPIRED = """
SELECT id, runs, attempts, max_retries FROM jobs
WHERE state = 'processing' AND lease_expires_at < $1
FOR UPDATE SKIP LOCKED
"""

OWNED_BY = """
SELECT id, runs, attempts, max_retries, worker_id FROM jobs
WHERE state = 'processing' AND worker_id = ANY($1::text[])
FOR UPDATE SKIP LOCKED
"""

# Applies each job's ``lifecycle.Transition``: $1 now, then parallel arrays: job id, run,
# state, next run time (NULL keeps the job's), error.
RECOVER = """
WITH job AS (
    UPDATE jobs j SET state = x.state, run_at = coalesce(x.run_at, j.run_at), finished_at = $1,
        updated_at = $1, exit_code = NULL, last_error = x.error, lease_expires_at = NULL
    FROM unnest($2::text[], $3::int[], $4::text[], $5::float8[], $6::text[])
        AS x(id, run, state, run_at, error)
    WHERE j.id = x.id AND j.runs = x.run AND j.state = 'processing'
    RETURNING j.id, j.runs, j.last_error
),
closed AS (
    UPDATE attempts a SET finished_at = $1, error = job.last_error
    FROM job WHERE a.job_id = job.id AND a.attempt = job.runs AND a.finished_at IS NULL
)
SELECT id FROM job
"""

CLOSE_ATTEMPTS = """
UPDATE attempts a SET finished_at = $1, error = $2
FROM unnest($3::text[], $4::int[]) AS x(id, run)
WHERE a.job_id = x.id AND a.attempt = x.run AND a.finished_at IS NULL
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

# What ``worker start --drain`` waits for when a queue is paused: running jobs anywhere, and
# waiting jobs outside the paused queues ($1: the worker's queues, or NULL), found one index
# probe per queue (never a paused backlog). A draining worker would wait for those forever.
UNFINISHED_UNPAUSED = f"""
WITH RECURSIVE {_WAITING_QUEUES}
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
