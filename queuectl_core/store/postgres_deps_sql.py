"""SQL of the PostgreSQL store's dependencies and unique jobs (DESIGN §10).

Kept apart from ``postgres_sql`` (the job lifecycle) so neither grows past what one can read.
"""

from queuectl_core.store.postgres_sql import JOB_COLUMNS, UNFINISHED, T

#: Lock the dependencies (in id order, so two enqueues cannot deadlock on them), mark them as
#: having a dependent (the hint the trigger's WHEN reads) and read their current states: a
#: dependency finishing concurrently either commits first (we read it completed) or waits for
#: us (its trigger then sees our edge). Ids it does not return do not exist.
MARK_DEPS = """
WITH x AS (SELECT id FROM jobs WHERE id = ANY($1::text[]) ORDER BY id FOR NO KEY UPDATE)
UPDATE jobs j SET dependents = j.dependents + 1 FROM x WHERE j.id = x.id
RETURNING j.id, j.state
"""

#: One job of a batch that uses dependencies or unique keys. A key held by an unfinished job
#: inserts nothing (the partial unique index decides, also against concurrent enqueues).
INSERT_JOB = f"""
WITH {T}
INSERT INTO jobs (id, command, state, queue, priority, max_retries, timeout, run_at,
                  created_at, updated_at, env, cwd, after_ids, unique_key, waiting)
SELECT $2::text, $3::text, 'pending', $4::text, $5::int, $6::int, $7::float8,
       coalesce($8::float8, t.now + coalesce($11::float8, 0)), t.now, t.now, $9::jsonb,
       $10::text, $12::text, $13::text, $14::int
FROM t
ON CONFLICT (unique_key) WHERE unique_key IS NOT NULL AND state IN {UNFINISHED} DO NOTHING
RETURNING {JOB_COLUMNS}
"""

KEY_HOLDER = f"""
SELECT {JOB_COLUMNS} FROM jobs WHERE unique_key = $1 AND state IN {UNFINISHED}
"""

INSERT_DEPS = """
INSERT INTO job_deps (job_id, dep_id) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING
"""

#: Jobs waiting on a dead or cancelled dependency are cancelled (their own dependents follow,
#: by trigger). $2: the jobs to look at (NULL: every job with dependencies).
CANCEL_ORPHANS = f"""
WITH {T}
UPDATE jobs j SET state = 'cancelled', finished_at = t.now, updated_at = t.now,
    lease_expires_at = NULL, last_error = (
        SELECT 'dependency ' || p.id || ' is ' || p.state
        FROM job_deps d JOIN jobs p ON p.id = d.dep_id
        WHERE d.job_id = j.id AND p.state IN ('dead', 'cancelled') ORDER BY p.id LIMIT 1)
FROM t
WHERE ($2::text[] IS NULL OR j.id = ANY($2::text[])) AND j.after_ids IS NOT NULL
    AND j.state IN ('pending', 'failed') AND EXISTS (
        SELECT 1 FROM job_deps d JOIN jobs p ON p.id = d.dep_id
        WHERE d.job_id = j.id AND p.state IN ('dead', 'cancelled'))
"""

#: After a retry: count again what each waiting job waits for (a purged dependency no longer
#: holds it back; a retried one holds it back again).
RECOUNT_WAITING = """
UPDATE jobs j SET waiting = c.n
FROM (
    SELECT w.seq, (SELECT count(*) FROM job_deps d JOIN jobs p ON p.id = d.dep_id
                   WHERE d.job_id = w.id AND p.state <> 'completed') AS n
    FROM jobs w WHERE w.state IN ('pending', 'failed') AND w.after_ids IS NOT NULL
) c
WHERE j.seq = c.seq AND j.waiting <> c.n
"""

#: The states of a job's dependencies (its ``after``); a purged one is absent.
STATES_OF = """
SELECT id, state FROM jobs WHERE id = ANY($1::text[])
"""
