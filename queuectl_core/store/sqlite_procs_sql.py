"""SQL of the SQLite store's process view, operator signals and Prometheus figures (issue 12).

Kept apart from ``sqlite_sql`` as ``postgres_procs_sql`` is from ``postgres_sql``.
"""

PUBLISH_PROCESSES = """
UPDATE workers SET processes = ? WHERE id = ?
"""

# Requests for runs this worker still owns; others wait for the CLI's timeout and are forgotten.
OPEN_SIGNALS = """
SELECT r.id, r.job_id, r.run, r.signal FROM signal_requests r
JOIN jobs j ON j.id = r.job_id AND j.runs = r.run
WHERE r.delivered_at IS NULL AND j.state = 'processing' AND j.worker_id = ?
"""

ACK_SIGNAL = """
UPDATE signal_requests SET delivered_at = ?, error = ? WHERE id = ?
"""

INSERT_SIGNAL = """
INSERT INTO signal_requests (job_id, run, signal, requested_at) VALUES (?, ?, ?, ?) RETURNING id
"""

FORGET_SIGNALS = """
DELETE FROM signal_requests WHERE requested_at < ?
"""

SIGNAL_STATUS = """
SELECT r.delivered_at, r.error, coalesce(j.state = 'processing' AND j.runs = r.run, 0)
FROM signal_requests r LEFT JOIN jobs j ON j.id = r.job_id WHERE r.id = ?
"""

# A worker's samples are read once per worker, not once per job (the blob holds them all).
RUNNING_JOBS = """
SELECT id, queue, command, worker_id, started_at, timeout, runs FROM jobs
WHERE state = 'processing' ORDER BY started_at, seq
"""

WORKER_SAMPLES = """
SELECT id, host, processes FROM workers
"""

QUEUE_STATE_COUNTS = """
SELECT queue, state, count(*) FROM jobs GROUP BY queue, state
"""

OLDEST_DUE = """
SELECT queue, min(run_at) FROM jobs WHERE state = 'pending' AND run_at <= ? GROUP BY queue
"""

COUNTERS = """
SELECT name, queue, label, n FROM counters
"""

LIVE_WORKER_COUNT = """
SELECT count(*) FROM workers WHERE heartbeat_at > ?
"""
