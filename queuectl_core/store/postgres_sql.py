"""SQL for the PostgreSQL store: versioned migrations and the statements the store runs.

Every statement that needs the time takes it as ``$1``: the injected test clock, or NULL for the
database clock. ``T`` turns that into one value per statement, so a job's started_at, its lease and
its attempt record agree to the microsecond, whichever host ran the statement.
"""

#: Everything lives in its own schema, so a shared database keeps its own ``jobs`` table.
SCHEMA = "queuectl"
#: pg_advisory_xact_lock keys (any constants unique to queuectl): migrations, config writes.
MIGRATION_LOCK = 0x71_75_65_75_65_01
CONFIG_LOCK = 0x71_75_65_75_65_02
#: LISTEN/NOTIFY channels (per database).
WORK_CHANNEL = "queuectl_work"
CONTROL_CHANNEL = "queuectl_control"

NOW = "SELECT extract(epoch from clock_timestamp())::float8"
T = "t AS MATERIALIZED (SELECT coalesce($1::float8, extract(epoch from clock_timestamp()))::float8 AS now)"

# Each entry moves the schema from version i to i + 1 (queuectl.schema_version). Never edit a
# released entry; append a new one. They run under MIGRATION_LOCK, one process at a time.
MIGRATIONS: list[str] = [
    """
    CREATE TABLE jobs (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        id text NOT NULL UNIQUE,
        command text NOT NULL,
        state text NOT NULL,
        queue text NOT NULL,
        priority integer NOT NULL,
        attempts integer NOT NULL DEFAULT 0,
        runs integer NOT NULL DEFAULT 0,
        max_retries integer NOT NULL,
        timeout float8,
        run_at float8 NOT NULL,
        created_at float8 NOT NULL,
        updated_at float8 NOT NULL,
        started_at float8,
        finished_at float8,
        exit_code integer,
        last_error text,
        worker_id text,
        lease_expires_at float8,
        env jsonb NOT NULL DEFAULT '{}',
        cwd text
    );
    -- The claim walks this index in claim order and stops at the first due rows.
    CREATE INDEX jobs_ready ON jobs (priority DESC, seq) WHERE state IN ('pending', 'failed');
    CREATE INDEX jobs_due ON jobs (run_at) WHERE state IN ('pending', 'failed');
    CREATE INDEX jobs_lease ON jobs (lease_expires_at) WHERE state = 'processing';
    CREATE INDEX jobs_state_seq ON jobs (state, seq);
    CREATE INDEX jobs_state_finished ON jobs (state, finished_at);

    CREATE TABLE attempts (
        job_id text NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
        attempt integer NOT NULL,
        worker_id text,
        started_at float8 NOT NULL,
        finished_at float8,
        exit_code integer,
        error text,
        PRIMARY KEY (job_id, attempt)
    );
    CREATE INDEX attempts_finished ON attempts (finished_at);
    CREATE TABLE outputs (
        job_id text NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
        attempt integer NOT NULL,
        stdout text NOT NULL DEFAULT '',
        stderr text NOT NULL DEFAULT '',
        PRIMARY KEY (job_id, attempt)
    );
    CREATE TABLE config (key text PRIMARY KEY, value text NOT NULL);
    CREATE TABLE workers (
        id text PRIMARY KEY,
        host text NOT NULL,
        pid integer NOT NULL,
        slots integer NOT NULL,
        queues jsonb NOT NULL,
        started_at float8 NOT NULL,
        heartbeat_at float8 NOT NULL,
        current_jobs jsonb NOT NULL DEFAULT '[]',
        stop_requested boolean NOT NULL DEFAULT false
    );

    -- Counts by state: a base row per state plus an insert-only log of signed deltas, one row per
    -- state per statement. Writers only ever INSERT deltas, so they never wait on one another;
    -- readers sum base + deltas; fold_state_counts() moves the deltas into the base now and then.
    CREATE TABLE state_counts (state text PRIMARY KEY, n bigint NOT NULL);
    INSERT INTO state_counts VALUES
        ('pending', 0), ('processing', 0), ('completed', 0),
        ('failed', 0), ('dead', 0), ('cancelled', 0);
    CREATE TABLE state_deltas (state text NOT NULL, n bigint NOT NULL);

    CREATE FUNCTION jobs_counted_insert() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO queuectl.state_deltas (state, n)
            SELECT state, count(*) FROM new_rows GROUP BY state;
        PERFORM pg_notify('queuectl_work', '');
        RETURN NULL;
    END $$;
    CREATE FUNCTION jobs_counted_update() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        woken boolean;
    BEGIN
        WITH moved AS (
            SELECT o.state AS old_state, n.state AS new_state
            FROM old_rows o JOIN new_rows n USING (seq) WHERE o.state <> n.state
        ), delta AS (
            SELECT state, sum(d)::bigint AS n FROM (
                SELECT old_state AS state, -1 AS d FROM moved
                UNION ALL SELECT new_state, 1 FROM moved
            ) x GROUP BY state HAVING sum(d) <> 0
        ), logged AS (
            INSERT INTO queuectl.state_deltas (state, n) SELECT state, n FROM delta
        )
        SELECT bool_or(new_state IN ('pending', 'failed')) INTO woken FROM moved;
        IF woken THEN
            PERFORM pg_notify('queuectl_work', '');
        END IF;
        RETURN NULL;
    END $$;
    CREATE FUNCTION jobs_counted_delete() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO queuectl.state_deltas (state, n)
            SELECT state, -count(*) FROM old_rows GROUP BY state;
        RETURN NULL;
    END $$;
    CREATE TRIGGER jobs_count_insert AFTER INSERT ON jobs REFERENCING NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION jobs_counted_insert();
    CREATE TRIGGER jobs_count_update AFTER UPDATE ON jobs
        REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION jobs_counted_update();
    CREATE TRIGGER jobs_count_delete AFTER DELETE ON jobs REFERENCING OLD TABLE AS old_rows
        FOR EACH STATEMENT EXECUTE FUNCTION jobs_counted_delete();
    """,
]

JOB_COLUMNS = (
    "id, command, state, queue, priority, attempts, max_retries, timeout, run_at, created_at,"
    " updated_at, env, cwd, started_at, finished_at, exit_code, last_error, worker_id,"
    " lease_expires_at, runs"
)

SELECT_JOB = f"SELECT {JOB_COLUMNS} FROM jobs WHERE id = $1"

# $2.. are parallel arrays, one element per job; unnest keeps their order, so seq follows it.
INSERT_JOBS = f"""
WITH {T}
INSERT INTO jobs (id, command, state, queue, priority, max_retries, timeout, run_at,
                  created_at, updated_at, env, cwd)
SELECT x.id, x.command, 'pending', x.queue, x.priority, x.max_retries, x.timeout,
       coalesce(x.run_at, t.now), t.now, t.now, x.env::jsonb, x.cwd
FROM t, unnest($2::text[], $3::text[], $4::text[], $5::int[], $6::int[], $7::float8[],
               $8::float8[], $9::text[], $10::text[])
     AS x(id, command, queue, priority, max_retries, timeout, run_at, env, cwd)
RETURNING {JOB_COLUMNS}
"""

# The inner SELECT locks up to $3 due rows in claim order and skips rows another claim holds;
# the UPDATE changes only rows this statement locked, and the attempt record opens with it.
CLAIM = f"""
WITH {T},
picked AS MATERIALIZED (
    SELECT seq FROM jobs
    WHERE state IN ('pending', 'failed') AND run_at <= (SELECT now FROM t)
      AND ($4::text[] IS NULL OR queue = ANY($4::text[]))
    ORDER BY priority DESC, seq
    LIMIT $3
    FOR UPDATE SKIP LOCKED
),
claimed AS (
    UPDATE jobs j SET state = 'processing', attempts = attempts + 1, runs = runs + 1,
        worker_id = $2, started_at = t.now, finished_at = NULL, exit_code = NULL,
        lease_expires_at = t.now + $5, updated_at = t.now
    FROM t
    WHERE j.seq IN (SELECT seq FROM picked)
    RETURNING j.seq, {", ".join("j." + c.strip() for c in JOB_COLUMNS.split(","))}
),
opened AS (
    INSERT INTO attempts (job_id, attempt, worker_id, started_at)
    SELECT id, runs, worker_id, started_at FROM claimed
    ON CONFLICT (job_id, attempt) DO UPDATE SET worker_id = excluded.worker_id,
        started_at = excluded.started_at, finished_at = NULL, exit_code = NULL, error = NULL
)
SELECT {JOB_COLUMNS} FROM claimed ORDER BY priority DESC, seq
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
    RETURNING j.id
)
SELECT (SELECT stop_requested FROM w), (SELECT array_agg(id) FROM renewed)
"""

FINISH = """
WITH job AS (
    UPDATE jobs SET
        state = CASE WHEN $5 THEN 'completed'
                     WHEN attempts >= 1 + max_retries THEN 'dead' ELSE 'failed' END,
        run_at = CASE WHEN $5 OR attempts >= 1 + max_retries THEN run_at ELSE $8 END,
        finished_at = $1, updated_at = $1, exit_code = $6, last_error = $7,
        lease_expires_at = NULL
    WHERE id = $2 AND worker_id = $3 AND runs = $4 AND state = 'processing'
    RETURNING id
),
attempt AS (
    UPDATE attempts SET finished_at = coalesce(finished_at, $1),
        exit_code = coalesce(exit_code, $6), error = coalesce(error, $7)
    WHERE job_id = $2 AND attempt = $4 AND worker_id = $3
),
saved AS (
    INSERT INTO outputs (job_id, attempt, stdout, stderr)
    SELECT $2, $4, $9, $10 WHERE EXISTS (SELECT 1 FROM jobs WHERE id = $2)
    ON CONFLICT (job_id, attempt) DO UPDATE SET stdout = excluded.stdout, stderr = excluded.stderr
)
SELECT count(*) FROM job
"""

SAVE_OUTPUT = """
INSERT INTO outputs (job_id, attempt, stdout, stderr)
SELECT x.job_id, x.attempt, x.stdout, x.stderr
FROM unnest($1::text[], $2::int[], $3::text[], $4::text[]) AS x(job_id, attempt, stdout, stderr)
WHERE EXISTS (SELECT 1 FROM jobs WHERE id = x.job_id)
ON CONFLICT (job_id, attempt) DO UPDATE SET stdout = excluded.stdout, stderr = excluded.stderr
"""

RELEASE = """
WITH job AS (
    UPDATE jobs SET state = 'pending', attempts = greatest(attempts - 1, 0), runs = runs - 1,
        run_at = $1, updated_at = $1, started_at = NULL, lease_expires_at = NULL
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
SELECT id, runs, attempts FROM jobs
WHERE state = 'processing' AND lease_expires_at < $1
FOR UPDATE SKIP LOCKED
"""

# $1 now, $2 error, then parallel arrays: job id, run, retry time.
RECOVER = """
WITH job AS (
    UPDATE jobs j SET state = CASE WHEN attempts >= 1 + max_retries THEN 'dead' ELSE 'failed' END,
        run_at = x.retry_at, finished_at = $1, updated_at = $1, exit_code = NULL,
        last_error = $2, lease_expires_at = NULL
    FROM unnest($3::text[], $4::int[], $5::float8[]) AS x(id, run, retry_at)
    WHERE j.id = x.id AND j.runs = x.run AND j.state = 'processing'
    RETURNING j.id, j.runs
),
closed AS (
    UPDATE attempts a SET finished_at = $1, error = $2
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

LATEST_ATTEMPT = """
SELECT attempt, finished_at FROM attempts WHERE job_id = $1
  AND ($2::int IS NULL OR attempt = $2) ORDER BY attempt DESC LIMIT 1
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
    queues = excluded.queues, started_at = excluded.started_at,
    heartbeat_at = excluded.heartbeat_at, current_jobs = '[]', stop_requested = false
"""
