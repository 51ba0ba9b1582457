"""SQL for the SQLite store: every statement it runs (the schema is in ``sqlite_schema``)."""

from queuectl_core.lifecycle import CLAIMABLE_STATES, UNFINISHED_STATES
from queuectl_core.store.common import sql_states

#: The state sets the statements use (migrations keep their literal text: never edit those).
CLAIMABLE = sql_states(CLAIMABLE_STATES)
UNFINISHED = sql_states(UNFINISHED_STATES)

JOB_COLUMNS = (
    "id, command, state, queue, priority, attempts, max_retries, timeout, run_at, created_at,"
    " updated_at, env, cwd, started_at, finished_at, exit_code, last_error, worker_id,"
    " lease_expires_at, runs, after_ids, unique_key, schedule"
)

#: The columns ``SqliteJobs.enqueue`` writes, in the order of each row's values (state is
#: always 'pending'). A new job field is one more name here and one more value per row.
INSERT_COLUMNS = (
    "id",
    "command",
    "queue",
    "priority",
    "max_retries",
    "timeout",
    "run_at",
    "created_at",
    "updated_at",
    "env",
    "cwd",
)
#: Rows per INSERT statement: one statement over many rows costs ~4 us a row against ~23 for
#: one statement per row (each statement that fires a trigger opens its own statement journal).
#: 11 values a row stays well under SQLite's 32,766 bound parameters.
INSERT_ROWS = 500


def insert_jobs(rows: int) -> str:
    """``INSERT INTO jobs ... VALUES (...), (...)`` for ``rows`` rows of ``INSERT_COLUMNS``."""
    one = "('pending'" + ", ?" * len(INSERT_COLUMNS) + ")"
    columns = ", ".join(INSERT_COLUMNS)
    return f"INSERT INTO jobs (state, {columns}) VALUES " + ", ".join([one] * rows)


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

# Queues that cannot take a job now: paused, or as many jobs processing as their limit.
_BLOCKED_QUEUES = """
SELECT name FROM queues WHERE paused OR (concurrency > 0 AND concurrency <= (
    SELECT count(*) FROM jobs p WHERE p.state = 'processing' AND p.queue = queues.name))
"""

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

SELECT_JOB = f"SELECT {JOB_COLUMNS} FROM jobs WHERE id = ?"

SET_CONFIG = """
INSERT INTO config (key, value) VALUES (?, ?)
ON CONFLICT (key) DO UPDATE SET value = excluded.value
"""

ATTEMPTS = """
SELECT job_id, attempt, worker_id, started_at, finished_at, exit_code, error FROM attempts WHERE
job_id = ? ORDER BY attempt
"""

STATE_COUNTS = """
SELECT state, n FROM state_counts
"""

RECENT_DURATIONS = """
SELECT finished_at - started_at FROM jobs INDEXED BY jobs_state_finished WHERE state =
'completed' AND finished_at > ? ORDER BY finished_at DESC LIMIT 10000
"""

RECENT_FINISHES = """
SELECT finished_at FROM jobs INDEXED BY jobs_state_finished WHERE state = 'completed' AND
finished_at > ?
"""

LATEST_ATTEMPT = """
SELECT attempt, finished_at FROM attempts WHERE job_id = ? ORDER BY attempt DESC LIMIT 1
"""

ATTEMPT = """
SELECT attempt, finished_at FROM attempts WHERE job_id = ? AND attempt = ?
"""

OUTPUT = """
SELECT stdout, stderr FROM outputs WHERE job_id = ? AND attempt = ?
"""

LOCAL_WORKERS = """
SELECT id FROM workers WHERE host = ? AND heartbeat_at > ?
"""

CONFIG = """
SELECT key, value FROM config
"""

CANCEL = """
UPDATE jobs SET state = 'cancelled', finished_at = ?, updated_at = ?, lease_expires_at = NULL,
last_error = 'cancelled by operator' WHERE id = ?
"""

RETRY = """
UPDATE jobs SET state = 'pending', run_at = ?, updated_at = ?, attempts = CASE WHEN ? THEN 0
ELSE attempts END WHERE id = ?
"""

RETRY_ALL_DEAD = """
UPDATE jobs SET state = 'pending', attempts = 0, run_at = ?, updated_at = ? WHERE state = 'dead'
"""

PURGE = """
DELETE FROM jobs WHERE state = ? AND coalesce(finished_at, updated_at) < ?
"""

#: What ``PURGE`` would delete (the purge dialog's count), with the same condition.
COUNT_PURGEABLE = """
SELECT count(*) FROM jobs WHERE state = ? AND coalesce(finished_at, updated_at) < ?
"""

UNFINISHED_COUNT = f"""
SELECT sum(n) FROM state_counts WHERE state IN {UNFINISHED}
"""

JOB_EXISTS = """
SELECT 1 FROM jobs WHERE id = ?
"""

NEXT_DUE = f"""
SELECT min(run_at) FROM jobs WHERE state IN {CLAIMABLE} AND waiting = 0
"""

# With queue rules in force, only jobs due later, outside blocked queues: a blocked queue's due
# jobs would wake an idle worker for nothing, again and again (it polls instead), and due jobs
# of other queues are the claim's (it just found none). Walks jobs_due from now on, so a paused
# backlog of due jobs is never read.
NEXT_DUE_LATER = f"""
SELECT min(run_at) FROM jobs INDEXED BY jobs_due
WHERE state IN {CLAIMABLE} AND waiting = 0 AND run_at > ? AND queue NOT IN ({_BLOCKED_QUEUES})
"""

REGISTER_WORKER = """
INSERT INTO workers (id, host, pid, slots, queues, started_at, heartbeat_at, current_jobs,
stop_requested) VALUES (?, ?, ?, ?, ?, ?, ?, '[]', 0) ON CONFLICT (id) DO UPDATE SET host =
excluded.host, pid = excluded.pid, slots = excluded.slots, queues = excluded.queues,
heartbeat_at = excluded.heartbeat_at
"""

LIVE_WORKERS = """
SELECT id, host, pid, slots, queues, started_at, heartbeat_at, current_jobs, stop_requested FROM
workers WHERE heartbeat_at > ? ORDER BY started_at
"""

DROP_SILENT_WORKERS = """
DELETE FROM workers WHERE heartbeat_at < ?
"""

REQUEST_STOP = """
UPDATE workers SET stop_requested = 1 WHERE heartbeat_at > ?
"""

RELEASE = """
UPDATE jobs SET state = 'pending', attempts = max(attempts - 1, 0), runs = runs - 1, run_at = ?,
updated_at = ?, started_at = NULL, lease_expires_at = NULL WHERE id = ? AND worker_id = ? AND
runs = ? AND state = 'processing'
"""

DELETE_ATTEMPT = """
DELETE FROM attempts WHERE job_id = ? AND attempt = ?
"""

DELETE_OUTPUT = """
DELETE FROM outputs WHERE job_id = ? AND attempt = ?
"""

DELETE_WORKER = """
DELETE FROM workers WHERE id = ?
"""

BEAT = """
UPDATE workers SET heartbeat_at = ?, current_jobs = ? WHERE id = ? RETURNING stop_requested
"""

RENEW_LEASE = """
UPDATE jobs SET lease_expires_at = ? WHERE id = ? AND worker_id = ? AND runs = ? AND state =
'processing'
"""

# Filled in with ``filters.where_sql`` and ``rows.job_order``.
LIST_JOBS = f"SELECT {JOB_COLUMNS} FROM jobs{{where}} {{order}} LIMIT ? OFFSET ?"
COUNT_JOBS = "SELECT count(*) FROM jobs{where}"

UNFINISHED_IN = f"""
SELECT 1 FROM jobs WHERE state IN {UNFINISHED} AND queue IN ({{marks}}) LIMIT 1
"""

PAUSED_QUEUES = """
SELECT name FROM queues WHERE paused
"""

# With a queue paused, ``worker start --drain`` waits for running jobs anywhere and for waiting
# jobs outside the paused queues, found one index probe per queue (never a paused backlog).
PROCESSING_IN_ANY = """
SELECT 1 FROM jobs WHERE state = 'processing' {queue_filter} LIMIT 1
"""
WAITING_IN = f"""
SELECT 1 FROM jobs INDEXED BY jobs_queue_ready
WHERE queue = ? AND state IN {CLAIMABLE} AND waiting = 0 LIMIT 1
"""

# --- process view, operator signals, Prometheus figures (issue 12) ---------------------------

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

# --- dependencies and unique jobs (DESIGN §10) ----------------------------------------------

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
