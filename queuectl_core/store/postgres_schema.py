"""Versioned schema for the PostgreSQL store, migrated under an advisory lock."""

from __future__ import annotations

from typing import Any

from queuectl_core.errors import SchemaTooNew, StoreMissing
from queuectl_core.store.postgres_sql import MIGRATION_LOCK, SCHEMA

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
    """
    -- process view, operator signals, Prometheus counters (issue 12)
    ALTER TABLE workers ADD COLUMN processes jsonb NOT NULL DEFAULT '{}';
    CREATE TABLE signal_requests (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        job_id text NOT NULL,
        run integer NOT NULL,
        signal text NOT NULL,
        requested_at float8 NOT NULL,
        delivered_at float8,
        error text
    );
    CREATE INDEX signal_requests_open ON signal_requests (job_id) WHERE delivered_at IS NULL;
    -- Counters only ever grow: purging or retention deleting jobs never takes them back. As
    -- with state_counts, writers only INSERT deltas (no hot row); readers fold them in.
    CREATE TABLE counters (
        name text NOT NULL,
        queue text NOT NULL,
        label text NOT NULL,
        n float8 NOT NULL,
        PRIMARY KEY (name, queue, label)
    );
    CREATE TABLE counter_deltas (name text NOT NULL, queue text NOT NULL, label text NOT NULL,
                                 n float8 NOT NULL);
    CREATE FUNCTION duration_bucket(d float8) RETURNS text LANGUAGE sql IMMUTABLE AS $$
        SELECT CASE
            WHEN d <= 0.1 THEN '0.1' WHEN d <= 0.5 THEN '0.5' WHEN d <= 1 THEN '1'
            WHEN d <= 5 THEN '5' WHEN d <= 10 THEN '10' WHEN d <= 30 THEN '30'
            WHEN d <= 60 THEN '60' WHEN d <= 300 THEN '300' WHEN d <= 900 THEN '900'
            WHEN d <= 3600 THEN '3600' ELSE '+Inf' END
    $$;
    INSERT INTO counters (name, queue, label, n)
        SELECT 'finished', queue, state, count(*) FROM jobs
        WHERE state IN ('completed', 'dead', 'cancelled') GROUP BY queue, state;
    INSERT INTO counters (name, queue, label, n)
        SELECT 'attempt_bucket', j.queue,
               duration_bucket(greatest(0, a.finished_at - a.started_at)), count(*)
        FROM attempts a JOIN jobs j ON j.id = a.job_id WHERE a.finished_at IS NOT NULL
        GROUP BY 2, 3;
    INSERT INTO counters (name, queue, label, n)
        SELECT 'attempt_seconds', j.queue, '', sum(greatest(0, a.finished_at - a.started_at))
        FROM attempts a JOIN jobs j ON j.id = a.job_id WHERE a.finished_at IS NOT NULL
        GROUP BY j.queue;
    CREATE FUNCTION jobs_finished_counted() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO queuectl.counter_deltas (name, queue, label, n)
            SELECT 'finished', n.queue, n.state, count(*)
            FROM old_rows o JOIN new_rows n USING (seq)
            WHERE o.state <> n.state AND n.state IN ('completed', 'dead', 'cancelled')
            GROUP BY n.queue, n.state;
        RETURN NULL;
    END $$;
    CREATE TRIGGER jobs_count_finished AFTER UPDATE ON jobs
        REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION jobs_finished_counted();
    CREATE FUNCTION attempts_duration_counted() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        WITH closed AS (
            SELECT j.queue, greatest(0, n.finished_at - n.started_at) AS d
            FROM old_rows o JOIN new_rows n USING (job_id, attempt)
            JOIN queuectl.jobs j ON j.id = n.job_id
            WHERE o.finished_at IS NULL AND n.finished_at IS NOT NULL
        )
        INSERT INTO queuectl.counter_deltas (name, queue, label, n)
            SELECT 'attempt_bucket', queue, queuectl.duration_bucket(d), count(*)
            FROM closed GROUP BY 2, 3
            UNION ALL
            SELECT 'attempt_seconds', queue, '', sum(d) FROM closed GROUP BY queue;
        RETURN NULL;
    END $$;
    CREATE TRIGGER attempts_count_duration AFTER UPDATE ON attempts
        REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION attempts_duration_counted();
    """,
    """
    -- job fields of the second wave, read by every job query (columns 20-22 of JOB_COLUMNS):
    -- dependencies (JSON array of ids), unique key, and the schedule that fired the job
    ALTER TABLE jobs ADD COLUMN after_ids text;
    ALTER TABLE jobs ADD COLUMN unique_key text;
    ALTER TABLE jobs ADD COLUMN schedule text;
    """,
    """
    -- schedules (recurring jobs): one row per schedule; workers claim each fire by moving
    -- next_run with a compare-and-set in the transaction that inserts the fired job
    CREATE TABLE schedules (
        name text PRIMARY KEY,
        command text NOT NULL,
        queue text NOT NULL,
        priority integer NOT NULL DEFAULT 0,
        max_retries integer,
        timeout float8,
        env jsonb NOT NULL DEFAULT '{}',
        cwd text,
        cron text,
        every float8,
        tz text NOT NULL DEFAULT 'UTC',
        paused boolean NOT NULL DEFAULT false,
        next_run float8 NOT NULL,
        last_run float8,
        last_job text,
        created_at float8 NOT NULL
    );
    CREATE INDEX schedules_due ON schedules (next_run) WHERE NOT paused;
    -- queues: pause and concurrency limits (DESIGN section 8). A row exists only while a queue
    -- has a setting other than the defaults (running, unlimited), so the claim reads a tiny table.
    CREATE TABLE queues (
        name text PRIMARY KEY,
        paused boolean NOT NULL DEFAULT false,
        concurrency integer NOT NULL DEFAULT 0 CHECK (concurrency >= 0),
        updated_at float8 NOT NULL
    );
    -- The claim under those rules walks each queue's waiting jobs in claim order (and finds the
    -- queues with waiting jobs one index probe each), never the rows of a paused or full queue.
    CREATE INDEX jobs_queue_ready ON jobs (queue, priority DESC, seq)
        WHERE state IN ('pending', 'failed');
    """,
    """
    -- dependencies and unique jobs (DESIGN §10): `waiting` counts a job's dependencies that
    -- are not completed (the claim takes only waiting = 0); `dependents` is a hint that some
    -- job names this one, so the trigger's WHEN (evaluated without calling PL/pgSQL) keeps
    -- the finish of a job nobody depends on exactly as it was.
    ALTER TABLE jobs ADD COLUMN waiting integer NOT NULL DEFAULT 0;
    ALTER TABLE jobs ADD COLUMN dependents integer NOT NULL DEFAULT 0;
    CREATE TABLE job_deps (
        job_id text NOT NULL,
        dep_id text NOT NULL,
        PRIMARY KEY (job_id, dep_id)
    );
    CREATE INDEX job_deps_dep ON job_deps (dep_id);
    -- One unfinished job per key, enforced here (not by a read-then-write).
    CREATE UNIQUE INDEX jobs_unique_key ON jobs (unique_key)
        WHERE unique_key IS NOT NULL AND state IN ('pending', 'processing', 'failed');
    -- The claim's indexes hold only jobs with nothing left to wait for.
    DROP INDEX jobs_ready;
    CREATE INDEX jobs_ready ON jobs (priority DESC, seq)
        WHERE state IN ('pending', 'failed') AND waiting = 0;
    DROP INDEX jobs_due;
    CREATE INDEX jobs_due ON jobs (run_at) WHERE state IN ('pending', 'failed') AND waiting = 0;
    DROP INDEX jobs_queue_ready;
    CREATE INDEX jobs_queue_ready ON jobs (queue, priority DESC, seq)
        WHERE state IN ('pending', 'failed') AND waiting = 0;
    -- Entering or leaving 'completed' moves the dependents' counters (a release wakes the
    -- workers); ending dead or cancelled cancels the dependents still waiting, whose own
    -- trigger then cancels theirs: the cascade is the trigger firing down the graph.
    CREATE FUNCTION jobs_deps_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF new.state = 'completed' OR old.state = 'completed' THEN
            UPDATE queuectl.jobs
                SET waiting = waiting + CASE WHEN new.state = 'completed' THEN -1 ELSE 1 END
                WHERE id IN (SELECT job_id FROM queuectl.job_deps WHERE dep_id = new.id);
            IF new.state = 'completed' THEN
                PERFORM pg_notify('queuectl_work', '');
            END IF;
        END IF;
        IF new.state IN ('dead', 'cancelled') THEN
            UPDATE queuectl.jobs SET state = 'cancelled', finished_at = new.updated_at,
                updated_at = new.updated_at, lease_expires_at = NULL,
                last_error = 'dependency ' || new.id || ' is ' || new.state
                WHERE id IN (SELECT job_id FROM queuectl.job_deps WHERE dep_id = new.id)
                    AND state IN ('pending', 'failed');
        END IF;
        RETURN NULL;
    END $$;
    CREATE TRIGGER jobs_deps AFTER UPDATE OF state ON jobs FOR EACH ROW
        WHEN (new.dependents > 0 AND old.state <> new.state
              AND (old.state = 'completed' OR new.state IN ('completed', 'dead', 'cancelled')))
        EXECUTE FUNCTION jobs_deps_changed();
    CREATE FUNCTION jobs_deps_forget() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        DELETE FROM queuectl.job_deps WHERE job_id = old.id;
        RETURN NULL;
    END $$;
    CREATE TRIGGER jobs_deps_forget AFTER DELETE ON jobs FOR EACH ROW
        WHEN (old.after_ids IS NOT NULL) EXECUTE FUNCTION jobs_deps_forget();
    """,
    """
    -- insight (failures, bulk actions, search): `list --since/--until` reads a window of
    -- created_at without walking every job
    CREATE INDEX jobs_created ON jobs (created_at);
    """,
]


async def migrate(conn: Any, missing: str | None = None) -> None:
    """Bring the schema to the newest version; call inside a transaction.

    Many workers may start at once: the first takes the transaction-scoped advisory lock and
    migrates, the others wait for it and then find nothing left to do. ``missing``: a read that
    must not create a queue; with no schema yet, raise StoreMissing with this text.
    """
    version = await _version(conn)
    if version == len(MIGRATIONS):
        return
    if version == 0 and missing is not None:
        raise StoreMissing(missing)
    await conn.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK)
    await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
    await conn.execute(
        f"CREATE TABLE IF NOT EXISTS {SCHEMA}.schema_version (version integer NOT NULL)"
    )
    version = await _version(conn)
    if version == 0 and not await conn.fetchval(f"SELECT count(*) FROM {SCHEMA}.schema_version"):
        await conn.execute(f"INSERT INTO {SCHEMA}.schema_version VALUES (0)")
    for number in range(version, len(MIGRATIONS)):
        await conn.execute(MIGRATIONS[number])
        await conn.execute(f"UPDATE {SCHEMA}.schema_version SET version = $1", number + 1)


async def _version(conn: Any) -> int:
    """The schema version (0: none yet); raises SchemaTooNew if this code cannot use it."""
    exists = await conn.fetchval("SELECT to_regclass($1)", f"{SCHEMA}.schema_version")
    if exists is None:
        return 0
    version = int(
        await conn.fetchval(f"SELECT coalesce(max(version), 0) FROM {SCHEMA}.schema_version")
    )
    if version > len(MIGRATIONS):
        raise SchemaTooNew(
            f"store schema version {version} is newer than this queuectl supports "
            f"({len(MIGRATIONS)}); upgrade queuectl"
        )
    return version
