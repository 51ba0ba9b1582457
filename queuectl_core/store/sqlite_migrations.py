"""The SQLite schema's migrations after the first, in order (``sqlite_schema.MIGRATIONS`` puts
the first schema before them and runs them). Never edit a released entry; append a new one."""

from __future__ import annotations

LATER_MIGRATIONS: list[str] = [
    """
    -- process view, operator signals, Prometheus counters (issue 12)
    ALTER TABLE workers ADD COLUMN processes TEXT NOT NULL DEFAULT '{}';
    CREATE TABLE signal_requests (
        id INTEGER PRIMARY KEY,
        job_id TEXT NOT NULL,
        run INTEGER NOT NULL,
        signal TEXT NOT NULL,
        requested_at REAL NOT NULL,
        delivered_at REAL,
        error TEXT
    );
    CREATE INDEX signal_requests_open ON signal_requests(job_id) WHERE delivered_at IS NULL;
    -- Counters only ever grow: purging or retention deleting jobs never takes them back.
    CREATE TABLE counters (
        name TEXT NOT NULL,
        queue TEXT NOT NULL,
        label TEXT NOT NULL,
        n REAL NOT NULL,
        PRIMARY KEY (name, queue, label)
    ) WITHOUT ROWID;
    INSERT INTO counters (name, queue, label, n)
        SELECT 'finished', queue, state, count(*) FROM jobs
        WHERE state IN ('completed', 'dead', 'cancelled') GROUP BY queue, state;
    INSERT INTO counters (name, queue, label, n)
        SELECT 'attempt_bucket', queue, CASE
            WHEN d <= 0.1 THEN '0.1' WHEN d <= 0.5 THEN '0.5' WHEN d <= 1 THEN '1'
            WHEN d <= 5 THEN '5' WHEN d <= 10 THEN '10' WHEN d <= 30 THEN '30'
            WHEN d <= 60 THEN '60' WHEN d <= 300 THEN '300' WHEN d <= 900 THEN '900'
            WHEN d <= 3600 THEN '3600' ELSE '+Inf' END, count(*) FROM (
            SELECT j.queue AS queue, max(0, a.finished_at - a.started_at) AS d
            FROM attempts a JOIN jobs j ON j.id = a.job_id WHERE a.finished_at IS NOT NULL
        ) GROUP BY 2, 3;
    INSERT INTO counters (name, queue, label, n)
        SELECT 'attempt_seconds', j.queue, '', sum(max(0, a.finished_at - a.started_at))
        FROM attempts a JOIN jobs j ON j.id = a.job_id WHERE a.finished_at IS NOT NULL
        GROUP BY j.queue;
    CREATE TRIGGER jobs_finished_count AFTER UPDATE OF state ON jobs
    WHEN old.state != new.state AND new.state IN ('completed', 'dead', 'cancelled') BEGIN
        INSERT INTO counters (name, queue, label, n) VALUES ('finished', new.queue, new.state, 1)
        ON CONFLICT (name, queue, label) DO UPDATE SET n = n + 1;
    END;
    CREATE TRIGGER attempts_duration_count AFTER UPDATE OF finished_at ON attempts
    WHEN old.finished_at IS NULL AND new.finished_at IS NOT NULL BEGIN
        INSERT INTO counters (name, queue, label, n)
        SELECT 'attempt_bucket', queue, CASE
            WHEN d <= 0.1 THEN '0.1' WHEN d <= 0.5 THEN '0.5' WHEN d <= 1 THEN '1'
            WHEN d <= 5 THEN '5' WHEN d <= 10 THEN '10' WHEN d <= 30 THEN '30'
            WHEN d <= 60 THEN '60' WHEN d <= 300 THEN '300' WHEN d <= 900 THEN '900'
            WHEN d <= 3600 THEN '3600' ELSE '+Inf' END, 1 FROM (
            SELECT queue, max(0, new.finished_at - new.started_at) AS d
            FROM jobs WHERE id = new.job_id
        ) WHERE true
        ON CONFLICT (name, queue, label) DO UPDATE SET n = n + 1;
        INSERT INTO counters (name, queue, label, n)
        SELECT 'attempt_seconds', queue, '', max(0, new.finished_at - new.started_at)
        FROM jobs WHERE id = new.job_id
        ON CONFLICT (name, queue, label) DO UPDATE SET n = n + excluded.n;
    END;
    """,
    """
    -- job fields of the second wave, read by every job query (columns 20-22 of JOB_COLUMNS):
    -- dependencies (JSON array of ids), unique key, and the schedule that fired the job
    ALTER TABLE jobs ADD COLUMN after_ids TEXT;
    ALTER TABLE jobs ADD COLUMN unique_key TEXT;
    ALTER TABLE jobs ADD COLUMN schedule TEXT;
    """,
    """
    -- schedules (recurring jobs): one row per schedule; workers claim each fire by moving
    -- next_run with a compare-and-set in the transaction that inserts the fired job
    CREATE TABLE schedules (
        name TEXT PRIMARY KEY,
        command TEXT NOT NULL,
        queue TEXT NOT NULL,
        priority INTEGER NOT NULL DEFAULT 0,
        max_retries INTEGER,
        timeout REAL,
        env TEXT NOT NULL DEFAULT '{}',
        cwd TEXT,
        cron TEXT,
        every REAL,
        tz TEXT NOT NULL DEFAULT 'UTC',
        paused INTEGER NOT NULL DEFAULT 0,
        next_run REAL NOT NULL,
        last_run REAL,
        last_job TEXT,
        created_at REAL NOT NULL
    );
    CREATE INDEX schedules_due ON schedules(next_run) WHERE paused = 0;
    -- queues: pause and concurrency limits (DESIGN section 8). A row exists only while a queue
    -- has a setting other than the defaults (running, unlimited), so the claim reads a tiny table.
    CREATE TABLE queues (
        name TEXT PRIMARY KEY,
        paused INTEGER NOT NULL DEFAULT 0 CHECK (paused IN (0, 1)),
        concurrency INTEGER NOT NULL DEFAULT 0 CHECK (concurrency >= 0),
        updated_at REAL NOT NULL
    ) WITHOUT ROWID;
    -- The claim under those rules walks each queue's waiting jobs in claim order (and finds the
    -- queues with waiting jobs one index probe each), never the rows of a paused or full queue.
    CREATE INDEX jobs_queue_ready ON jobs (queue, priority DESC, seq)
        WHERE state IN ('pending', 'failed');
    """,
    """
    -- dependencies and unique jobs (DESIGN §10): `waiting` counts a job's dependencies that
    -- are not completed (the claim takes only waiting = 0); `dependents` is a hint that some
    -- job names this one, so finishing a job nobody depends on runs no dependency SQL at all.
    ALTER TABLE jobs ADD COLUMN waiting INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE jobs ADD COLUMN dependents INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE job_deps (
        job_id TEXT NOT NULL,
        dep_id TEXT NOT NULL,
        PRIMARY KEY (job_id, dep_id)
    ) WITHOUT ROWID;
    CREATE INDEX job_deps_dep ON job_deps(dep_id);
    -- One unfinished job per key, enforced here (not by a read-then-write).
    CREATE UNIQUE INDEX jobs_unique_key ON jobs(unique_key)
        WHERE unique_key IS NOT NULL AND state IN ('pending', 'processing', 'failed');
    -- The claim's indexes hold only jobs with nothing left to wait for.
    DROP INDEX jobs_ready;
    CREATE INDEX jobs_ready ON jobs(priority DESC, seq)
        WHERE state IN ('pending', 'failed') AND waiting = 0;
    DROP INDEX jobs_due;
    CREATE INDEX jobs_due ON jobs(run_at) WHERE state IN ('pending', 'failed') AND waiting = 0;
    DROP INDEX jobs_queue_ready;
    CREATE INDEX jobs_queue_ready ON jobs (queue, priority DESC, seq)
        WHERE state IN ('pending', 'failed') AND waiting = 0;
    -- A job entering or leaving 'completed' moves its dependents' counters.
    CREATE TRIGGER jobs_deps_release AFTER UPDATE OF state ON jobs
    WHEN new.dependents > 0 AND old.state != new.state
        AND (old.state = 'completed' OR new.state = 'completed') BEGIN
        UPDATE jobs SET waiting = waiting + (CASE WHEN new.state = 'completed' THEN -1 ELSE 1 END)
        WHERE id IN (SELECT job_id FROM job_deps WHERE dep_id = new.id);
    END;
    -- A dead or cancelled job cancels what waits on it, all the way down (recursive triggers
    -- are off in SQLite, so the walk is one recursive query). Each job names the dependency
    -- that stopped it: the dead job for its direct dependents, a cancelled one further down.
    CREATE TRIGGER jobs_deps_cancel AFTER UPDATE OF state ON jobs
    WHEN new.dependents > 0 AND old.state != new.state
        AND new.state IN ('dead', 'cancelled') BEGIN
        UPDATE jobs SET state = 'cancelled', finished_at = new.updated_at,
            updated_at = new.updated_at, lease_expires_at = NULL,
            last_error = (
            WITH RECURSIVE down(id) AS (
                SELECT job_id FROM job_deps WHERE dep_id = new.id
                UNION
                SELECT d.job_id FROM job_deps d JOIN down ON d.dep_id = down.id
                JOIN jobs j ON j.id = down.id WHERE j.state NOT IN ('completed', 'processing')
            )
            SELECT 'dependency ' || d.dep_id || ' is '
                || CASE WHEN d.dep_id = new.id THEN new.state ELSE 'cancelled' END
            FROM job_deps d WHERE d.job_id = jobs.id
                AND (d.dep_id = new.id OR d.dep_id IN (SELECT id FROM down))
            ORDER BY d.dep_id != new.id, d.dep_id LIMIT 1)
        WHERE state IN ('pending', 'failed') AND id IN (
            WITH RECURSIVE down(id) AS (
                SELECT job_id FROM job_deps WHERE dep_id = new.id
                UNION
                SELECT d.job_id FROM job_deps d JOIN down ON d.dep_id = down.id
                JOIN jobs j ON j.id = down.id WHERE j.state NOT IN ('completed', 'processing')
            )
            SELECT id FROM down);
    END;
    CREATE TRIGGER jobs_deps_forget AFTER DELETE ON jobs
    WHEN old.after_ids IS NOT NULL BEGIN
        DELETE FROM job_deps WHERE job_id = old.id;
    END;
    """,
    """
    -- insight (failures, bulk actions, search): `list --since/--until` reads a window of
    -- created_at without walking every job
    CREATE INDEX jobs_created ON jobs(created_at);
    """,
]
