"""SQL for the SQLite store, the worker's side: claim, finish, output, release and recovery.

The queue-rule probes used by the claim under the queues' rules are here too.
"""

from queuectl_core.store.sqlite_sql import CLAIMABLE, JOB_COLUMNS

_CLAIM_SET = """
UPDATE jobs SET state = 'processing', attempts = attempts + 1, runs = runs + 1,
    worker_id = :worker, started_at = :now, finished_at = NULL, exit_code = NULL,
    lease_expires_at = :lease, updated_at = :now
"""

# The claim when no queue is paused or limited (QUEUE_RULES found nothing): one statement.
CLAIM = f"""{_CLAIM_SET}
WHERE seq IN (
    SELECT seq FROM jobs INDEXED BY jobs_ready
    WHERE state IN {CLAIMABLE} AND run_at <= :now {{queue_filter}}
        AND waiting = 0  -- dependencies (DESIGN §10): also in jobs_ready's WHERE, keep both
    ORDER BY priority DESC, seq LIMIT :limit
)
RETURNING {JOB_COLUMNS}
"""

#: The queues whose settings change what a claim may take; usually none (queues holds a row
#: only while a queue is paused or limited), so the claim's fast path costs one tiny read.
QUEUE_RULES = """
SELECT name, paused, concurrency FROM queues WHERE paused OR concurrency > 0
"""

# The next queue (by name) after ? with waiting jobs: one index probe.
NEXT_WAITING_QUEUE = f"""
SELECT min(queue) FROM jobs INDEXED BY jobs_queue_ready
WHERE state IN {CLAIMABLE} AND waiting = 0 AND queue > ?
"""

# One queue's due jobs in claim order.
QUEUE_CANDIDATES = f"""
SELECT priority, seq FROM jobs INDEXED BY jobs_queue_ready
WHERE queue = ? AND state IN {CLAIMABLE} AND waiting = 0 AND run_at <= ?
ORDER BY priority DESC, seq LIMIT ?
"""

PROCESSING_IN = """
SELECT queue, count(*) FROM jobs WHERE state = 'processing' AND queue IN ({marks}) GROUP BY queue
"""

# The claim of rows chosen under the queues' rules ({seqs}: named marks).
CLAIM_PICKED = f"{_CLAIM_SET} WHERE seq IN ({{seqs}}) RETURNING {JOB_COLUMNS}"

# The budget of a run this worker still owns: the fence, and what ``lifecycle.decide`` reads.
OWNED_RUN = """
SELECT attempts, max_retries FROM jobs
WHERE id = ? AND worker_id = ? AND runs = ? AND state = 'processing'
"""

# Applies a ``lifecycle.Transition`` (a NULL run_at keeps the job's).
FINISH_JOB = """
UPDATE jobs SET state = :state, run_at = coalesce(:run_at, run_at),
    finished_at = :now, updated_at = :now, exit_code = :exit_code, last_error = :error,
    lease_expires_at = NULL
WHERE id = :id AND worker_id = :worker AND runs = :run AND state = 'processing'
"""

FINISH_ATTEMPT = """
UPDATE attempts SET finished_at = coalesce(finished_at, :now),
    exit_code = coalesce(exit_code, :exit_code), error = coalesce(error, :error)
WHERE job_id = :id AND attempt = :run AND worker_id = :worker
"""

# The all-success batch (``lifecycle.decide`` answers 'completed' for every OK outcome whatever
# the budget, so no budget or config is read): one fenced statement for the jobs, one for their
# attempt records, whatever the batch size. {values} is one "(?, ?, ?)" per finish: id, worker, run.
FINISH_OK = """
WITH x(id, worker, run) AS (VALUES {values})
UPDATE jobs SET state = 'completed', finished_at = ?, updated_at = ?, exit_code = 0,
    last_error = NULL, lease_expires_at = NULL
FROM x
WHERE jobs.id = x.id AND jobs.worker_id = x.worker AND jobs.runs = x.run
    AND jobs.state = 'processing'
RETURNING jobs.id
"""

FINISH_OK_ATTEMPTS = """
WITH x(id, worker, run) AS (VALUES {values})
UPDATE attempts SET finished_at = coalesce(finished_at, ?), exit_code = coalesce(exit_code, 0)
FROM x
WHERE attempts.job_id = x.id AND attempts.attempt = x.run AND attempts.worker_id = x.worker
"""

SAVE_OUTPUT = """
INSERT INTO outputs (job_id, attempt, stdout, stderr) VALUES (?, ?, ?, ?)
ON CONFLICT (job_id, attempt) DO UPDATE SET stdout = excluded.stdout, stderr = excluded.stderr
"""

# Live output only lands while the attempt is open, so a late flush never overwrites the
# final output that ``finish`` wrote.
SAVE_LIVE_OUTPUT = """
INSERT INTO outputs (job_id, attempt, stdout, stderr)
SELECT ?1, ?2, ?3, ?4 WHERE EXISTS (
    SELECT 1 FROM attempts WHERE job_id = ?1 AND attempt = ?2 AND finished_at IS NULL)
ON CONFLICT (job_id, attempt) DO UPDATE SET stdout = excluded.stdout, stderr = excluded.stderr
"""

EXPIRED = """
SELECT id, runs, attempts, max_retries FROM jobs INDEXED BY jobs_lease
WHERE state = 'processing' AND lease_expires_at < ?
"""

OWNED_BY = """
SELECT id, runs, attempts, max_retries FROM jobs WHERE state = 'processing' AND worker_id = ?
"""

RECOVER_JOB = """
UPDATE jobs SET state = ?, run_at = coalesce(?, run_at), finished_at = ?, updated_at = ?,
    exit_code = NULL, last_error = ?, lease_expires_at = NULL
WHERE id = ? AND runs = ? AND state = 'processing'
"""

CLOSE_ATTEMPT = """
UPDATE attempts SET finished_at = ?, error = ?
WHERE job_id = ? AND attempt = ? AND finished_at IS NULL
"""
