"""SQL of the SQLite store's dependencies and unique jobs (DESIGN §10).

Kept apart from ``sqlite_sql`` as ``postgres_deps_sql`` is from ``postgres_sql``.
"""

from queuectl_core.store.sqlite_sql import INSERT_COLUMNS, JOB_COLUMNS, UNFINISHED

#: Mark the dependencies as having a dependent (the hint the triggers' WHEN reads) and read
#: their states in the same statement; ids it does not return do not exist.
MARK_DEPS = """
UPDATE jobs SET dependents = dependents + 1 WHERE id IN ({marks}) RETURNING id, state
"""

#: One job of a batch that uses dependencies or unique keys (``INSERT_COLUMNS`` + 3 values).
#: A key held by an unfinished job inserts nothing (the partial unique index decides).
INSERT_JOB = f"""
INSERT INTO jobs (state, {", ".join(INSERT_COLUMNS)}, after_ids, unique_key, waiting)
VALUES ('pending'{", ?" * (len(INSERT_COLUMNS) + 3)})
ON CONFLICT (unique_key) WHERE unique_key IS NOT NULL AND state IN {UNFINISHED} DO NOTHING
RETURNING {JOB_COLUMNS}
"""

KEY_HOLDER = f"""
SELECT {JOB_COLUMNS} FROM jobs WHERE unique_key = ? AND state IN {UNFINISHED}
"""

INSERT_DEP = """
INSERT OR IGNORE INTO job_deps (job_id, dep_id) VALUES (?, ?)
"""

#: Jobs waiting on a dead or cancelled dependency are cancelled (their own dependents follow,
#: by trigger). {scope}: which jobs to look at (new ones, or all after a retry).
CANCEL_ORPHANS = """
UPDATE jobs SET state = 'cancelled', finished_at = :now, updated_at = :now,
    lease_expires_at = NULL, last_error = (
        SELECT 'dependency ' || p.id || ' is ' || p.state
        FROM job_deps d JOIN jobs p ON p.id = d.dep_id
        WHERE d.job_id = jobs.id AND p.state IN ('dead', 'cancelled') ORDER BY p.id LIMIT 1)
WHERE {scope} AND state IN ('pending', 'failed') AND EXISTS (
    SELECT 1 FROM job_deps d JOIN jobs p ON p.id = d.dep_id
    WHERE d.job_id = jobs.id AND p.state IN ('dead', 'cancelled'))
"""

#: After a retry: count again what each waiting job waits for (a purged dependency no longer
#: holds it back; a retried one holds it back again).
RECOUNT_WAITING = """
UPDATE jobs SET waiting = (
    SELECT count(*) FROM job_deps d JOIN jobs p ON p.id = d.dep_id
    WHERE d.job_id = jobs.id AND p.state != 'completed')
WHERE state IN ('pending', 'failed') AND after_ids IS NOT NULL AND waiting != (
    SELECT count(*) FROM job_deps d JOIN jobs p ON p.id = d.dep_id
    WHERE d.job_id = jobs.id AND p.state != 'completed')
"""

#: The states of a job's dependencies (its ``after``); a purged one is absent.
STATES_OF = """
SELECT id, state FROM jobs WHERE id IN ({marks})
"""
