"""SQL of the PostgreSQL store's process view, operator signals and Prometheus figures (issue 12).

Kept apart from ``postgres_sql`` (the job lifecycle) so neither grows past what one can read.
"""

from queuectl_core.store.postgres_sql import T

COUNTERS_LOCK = 0x71_75_65_75_65_12

# $1 worker, $2 samples (json): publish, and read the requests for runs it still owns.
PUBLISH_PROCESSES = """
WITH w AS (UPDATE workers SET processes = $2::jsonb WHERE id = $1)
SELECT r.id, r.job_id, r.run, r.signal FROM signal_requests r
JOIN jobs j ON j.id = r.job_id AND j.runs = r.run
WHERE r.delivered_at IS NULL AND j.state = 'processing' AND j.worker_id = $1
"""

ACK_SIGNALS = f"""
WITH {T}
UPDATE signal_requests r SET delivered_at = t.now, error = x.error
FROM t, unnest($2::bigint[], $3::text[]) AS x(id, error)
WHERE r.id = x.id
"""

INSERT_SIGNAL = """
INSERT INTO signal_requests (job_id, run, signal, requested_at) VALUES ($1, $2, $3, $4)
RETURNING id
"""

FORGET_SIGNALS = """
DELETE FROM signal_requests WHERE requested_at < $1
"""

SIGNAL_STATUS = """
SELECT r.delivered_at, r.error, coalesce(j.state = 'processing' AND j.runs = r.run, false)
FROM signal_requests r LEFT JOIN jobs j ON j.id = r.job_id WHERE r.id = $1
"""

# A worker's samples are read once per worker, not once per job (the blob holds them all).
RUNNING_JOBS = """
SELECT id, queue, command, worker_id, started_at, timeout, runs FROM jobs
WHERE state = 'processing' ORDER BY started_at, seq
"""

WORKER_SAMPLES = """
SELECT id, host, processes::text FROM workers
"""

QUEUE_STATE_COUNTS = """
SELECT queue, state, count(*) FROM jobs GROUP BY queue, state
"""

OLDEST_DUE = """
SELECT queue, min(run_at) FROM jobs WHERE state = 'pending' AND run_at <= $1 GROUP BY queue
"""

COUNTERS = """
SELECT name, queue, label, sum(n) FROM (
    SELECT name, queue, label, n FROM counters
    UNION ALL SELECT name, queue, label, n FROM counter_deltas
) x GROUP BY name, queue, label
"""

# Concurrent folds are safe: a delta row can be deleted (and so added) only once.
FOLD_COUNTERS = """
WITH gone AS (DELETE FROM counter_deltas RETURNING name, queue, label, n)
INSERT INTO counters (name, queue, label, n)
SELECT name, queue, label, sum(n) FROM gone GROUP BY name, queue, label
ON CONFLICT (name, queue, label) DO UPDATE SET n = counters.n + excluded.n
"""

LIVE_WORKER_COUNT = """
SELECT count(*) FROM workers WHERE heartbeat_at > $1
"""
