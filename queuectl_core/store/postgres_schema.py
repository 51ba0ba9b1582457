"""Versioned schema for the PostgreSQL store, migrated under an advisory lock.

The first schema is here; the migrations after it are in ``postgres_migrations``.
"""

from __future__ import annotations

from typing import Any

from queuectl_core.errors import SchemaTooNew, StoreMissing
from queuectl_core.store.postgres_migrations import LATER_MIGRATIONS
from queuectl_core.store.postgres_sql import MIGRATION_LOCK, SCHEMA

# Each entry moves the schema from version i to i + 1 (queuectl.schema_version): the first
# schema, then the later migrations. Never edit a released entry; append a new one to
# LATER_MIGRATIONS. They run under MIGRATION_LOCK, one process at a time.
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
    *LATER_MIGRATIONS,
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
