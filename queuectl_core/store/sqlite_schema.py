"""Versioned schema for the SQLite store, migrated under the write lock (as ``postgres_schema``).

The first schema is here; the migrations after it are in ``sqlite_migrations``.
"""

from __future__ import annotations

import sqlite3

from queuectl_core.errors import SchemaTooNew
from queuectl_core.store.sqlite_migrations import LATER_MIGRATIONS

# Each entry moves the schema from version i to i + 1 (PRAGMA user_version): the first schema,
# then the later migrations. Never edit a released entry; append a new one to LATER_MIGRATIONS.
MIGRATIONS: list[str] = [
    """
    CREATE TABLE jobs (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        command TEXT NOT NULL,
        state TEXT NOT NULL,
        queue TEXT NOT NULL,
        priority INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        runs INTEGER NOT NULL DEFAULT 0,
        max_retries INTEGER NOT NULL,
        timeout REAL,
        run_at REAL NOT NULL,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL,
        started_at REAL,
        finished_at REAL,
        exit_code INTEGER,
        last_error TEXT,
        worker_id TEXT,
        lease_expires_at REAL,
        env TEXT NOT NULL DEFAULT '{}',
        cwd TEXT
    );
    -- The claim walks this index in claim order and stops at the first due rows.
    CREATE INDEX jobs_ready ON jobs(priority DESC, seq) WHERE state IN ('pending', 'failed');
    CREATE INDEX jobs_due ON jobs(run_at) WHERE state IN ('pending', 'failed');
    CREATE INDEX jobs_lease ON jobs(lease_expires_at) WHERE state = 'processing';
    CREATE INDEX jobs_state_seq ON jobs(state, seq);
    CREATE INDEX jobs_state_finished ON jobs(state, finished_at);

    CREATE TABLE attempts (
        job_id TEXT NOT NULL,
        attempt INTEGER NOT NULL,
        worker_id TEXT,
        started_at REAL NOT NULL,
        finished_at REAL,
        exit_code INTEGER,
        error TEXT,
        PRIMARY KEY (job_id, attempt)
    ) WITHOUT ROWID;
    CREATE TABLE outputs (
        job_id TEXT NOT NULL,
        attempt INTEGER NOT NULL,
        stdout TEXT NOT NULL DEFAULT '',
        stderr TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (job_id, attempt)
    );
    CREATE TABLE config (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE workers (
        id TEXT PRIMARY KEY,
        host TEXT NOT NULL,
        pid INTEGER NOT NULL,
        slots INTEGER NOT NULL,
        queues TEXT NOT NULL,
        started_at REAL NOT NULL,
        heartbeat_at REAL NOT NULL,
        current_jobs TEXT NOT NULL DEFAULT '[]',
        stop_requested INTEGER NOT NULL DEFAULT 0
    );

    -- Counts by state are maintained, so `status` never scans a million rows.
    CREATE TABLE state_counts (state TEXT PRIMARY KEY, n INTEGER NOT NULL);
    INSERT INTO state_counts VALUES
        ('pending', 0), ('processing', 0), ('completed', 0),
        ('failed', 0), ('dead', 0), ('cancelled', 0);
    CREATE TRIGGER jobs_count_insert AFTER INSERT ON jobs BEGIN
        UPDATE state_counts SET n = n + 1 WHERE state = new.state;
    END;
    CREATE TRIGGER jobs_count_delete AFTER DELETE ON jobs BEGIN
        UPDATE state_counts SET n = n - 1 WHERE state = old.state;
        DELETE FROM attempts WHERE job_id = old.id;
        DELETE FROM outputs WHERE job_id = old.id;
    END;
    CREATE TRIGGER jobs_count_update AFTER UPDATE OF state ON jobs
    WHEN old.state != new.state BEGIN
        UPDATE state_counts SET n = n - 1 WHERE state = old.state;
        UPDATE state_counts SET n = n + 1 WHERE state = new.state;
    END;
    -- Every claim opens an attempt record in the same statement's transaction.
    CREATE TRIGGER jobs_attempt_open AFTER UPDATE OF runs ON jobs
    WHEN new.runs > old.runs BEGIN
        INSERT OR REPLACE INTO attempts (job_id, attempt, worker_id, started_at)
        VALUES (new.id, new.runs, new.worker_id, new.started_at);
    END;
    """,
    *LATER_MIGRATIONS,
]


def migrate(conn: sqlite3.Connection) -> None:
    if conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS):
        return  # the common case: no write lock needed just to check
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > len(MIGRATIONS):
            raise SchemaTooNew(
                f"store schema version {version} is newer than this queuectl supports "
                f"({len(MIGRATIONS)}); upgrade queuectl"
            )
        for number in range(version, len(MIGRATIONS)):
            for statement in split_statements(MIGRATIONS[number]):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number + 1}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def split_statements(script: str) -> list[str]:
    """Split a migration into statements, keeping trigger bodies whole."""
    statements, buffer = [], ""
    for line in script.splitlines(keepends=True):
        if line.strip().startswith("--"):
            continue
        buffer += line
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements
