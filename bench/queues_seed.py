"""Seed a store with many completed jobs (and their attempt records), two days old, fast."""

from __future__ import annotations

import sqlite3
import time

import asyncpg

from queuectl_core.store.base import is_postgres_url
from queuectl_core.store.open import open_store

SQLITE_JOBS = """
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :count)
INSERT INTO jobs (id, command, state, queue, priority, attempts, runs, max_retries, run_at,
                  created_at, updated_at, started_at, finished_at, exit_code, worker_id)
SELECT printf('old-%07d', i), 'true', 'completed', 'old', 0, 1, 1, 3, :t0, :t0, :t0, :t0,
       :t0 + 0.05, 0, 'seed' FROM n
"""
SQLITE_ATTEMPTS = """
INSERT INTO attempts (job_id, attempt, worker_id, started_at, finished_at, exit_code)
SELECT id, 1, 'seed', started_at, finished_at, 0 FROM jobs WHERE queue = 'old'
"""
PG_JOBS = """
INSERT INTO jobs (id, command, state, queue, priority, attempts, runs, max_retries, run_at,
                  created_at, updated_at, started_at, finished_at, exit_code, worker_id)
SELECT 'old-' || lpad(i::text, 7, '0'), 'true', 'completed', 'old', 0, 1, 1, 3, $2::float8,
       $2::float8, $2::float8, $2::float8, $2::float8 + 0.05, 0, 'seed'
FROM generate_series(1, $1::int) AS i
"""
PG_ATTEMPTS = """
INSERT INTO attempts (job_id, attempt, worker_id, started_at, finished_at, exit_code)
SELECT id, 1, 'seed', started_at, finished_at, 0 FROM jobs WHERE queue = 'old'
"""


async def seed_completed(url: str, count: int) -> None:
    store = await open_store(url)  # creates the schema
    await store.close()
    t0 = time.time() - 2 * 86400
    if not is_postgres_url(url):
        conn = sqlite3.connect(url, isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(SQLITE_JOBS, {"count": count, "t0": t0})
            conn.execute(SQLITE_ATTEMPTS)
            conn.execute("COMMIT")
            conn.execute("ANALYZE")
        finally:
            conn.close()
        return
    pg = await asyncpg.connect(url, server_settings={"search_path": "queuectl"})
    try:
        async with pg.transaction():
            await pg.execute(PG_JOBS, count, t0)
            await pg.execute(PG_ATTEMPTS)
        await pg.execute("ANALYZE")
    finally:
        await pg.close()


async def analyze(url: str) -> None:
    """Fresh planner statistics after a bulk fill (autovacuum would get there, later)."""
    if not is_postgres_url(url):
        return
    pg = await asyncpg.connect(url, server_settings={"search_path": "queuectl"})
    try:
        await pg.execute("ANALYZE")
    finally:
        await pg.close()
