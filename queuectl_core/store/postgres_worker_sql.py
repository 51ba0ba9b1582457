"""SQL for the PostgreSQL store, the worker's side: claim, finish, heartbeat, release and recovery.

Statements take the time as ``$1`` and turn it into ``t.now`` with ``T`` (see postgres_sql.py).
"""

from queuectl_core.store.postgres_sql import (
    CLAIMABLE,
    JOB_COLUMNS,
    WAITING_QUEUES,
    T,
    aliased_columns,
)

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
    RETURNING j.seq, {aliased_columns("j")}
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
SELECT (SELECT rules FROM gate), {aliased_columns("c")}
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
CLAIM_RULED = f"""
WITH RECURSIVE {T},{WAITING_QUEUES},
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
SELECT (SELECT array_agg(id) FROM done), (SELECT rules FROM gate), {aliased_columns("c")}
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
