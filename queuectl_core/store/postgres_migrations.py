"""The PostgreSQL schema's migrations after the first, in order (``postgres_schema.MIGRATIONS``
puts the first schema before them and runs them). Never edit a released entry; append a new one."""

from __future__ import annotations

LATER_MIGRATIONS: list[str] = [
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
