"""W5: costs at a million jobs. The seeded store is cached under /tmp between runs."""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import sqlite3
import statistics
import time
from pathlib import Path

from bench.stores import cli_env, queuectl_bin, timed_run
from queuectl_core.models import JobState
from queuectl_core.store import sqlite_schema
from queuectl_core.store.open import open_store

CACHE = Path(os.environ.get("QUEUECTL_BENCH_CACHE", "/tmp/qbench-cache"))
SEED_VERSION = 1
WORKER = "bench-w5"

# One INSERT ... SELECT over a recursive CTE: ~1M rows in seconds. State by i % 100:
# 70% completed, 12% pending, 4% failed (retry due in a year), 6% dead, 5% cancelled,
# 3% processing (a lease far in the future). Priorities -5..5, mixed.
SEED = """
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :count),
s(i, st) AS (
    SELECT i, CASE WHEN i % 100 < 70 THEN 'completed' WHEN i % 100 < 82 THEN 'pending'
                   WHEN i % 100 < 86 THEN 'failed' WHEN i % 100 < 92 THEN 'dead'
                   WHEN i % 100 < 97 THEN 'cancelled' ELSE 'processing' END
    FROM n
)
INSERT INTO jobs (id, command, state, queue, priority, attempts, runs, max_retries, timeout,
                  run_at, created_at, updated_at, started_at, finished_at, exit_code,
                  last_error, worker_id, lease_expires_at, env, cwd)
SELECT printf('seed-%07d', i), 'echo job ' || i, st,
       CASE WHEN i % 10 = 0 THEN 'reports' ELSE 'default' END,
       (i * 7) % 11 - 5,
       CASE WHEN st = 'pending' THEN 0 WHEN st = 'dead' THEN 4 ELSE 1 END,
       CASE WHEN st = 'pending' THEN 0 WHEN st = 'dead' THEN 4 ELSE 1 END,
       3, NULL,
       CASE WHEN st = 'failed' THEN :now + 31536000 ELSE :t0 + i * 0.001 END,
       :t0 + i * 0.001, :t0 + i * 0.001,
       CASE WHEN st IN ('pending', 'cancelled') THEN NULL ELSE :t0 + i * 0.001 END,
       CASE WHEN st IN ('completed', 'failed', 'dead') THEN :t0 + i * 0.001 + 0.05 END,
       CASE WHEN st = 'completed' THEN 0 WHEN st IN ('failed', 'dead') THEN 1 END,
       CASE WHEN st IN ('failed', 'dead') THEN 'exit 1' END,
       CASE WHEN st = 'processing' THEN 'seed-worker' END,
       CASE WHEN st = 'processing' THEN :now + 31536000 END,
       '{}', NULL
FROM s
"""


def _cache_path(count: int) -> Path:
    schema = hashlib.sha1("".join(sqlite_schema.MIGRATIONS).encode()).hexdigest()[:10]
    return CACHE / f"store-{count}-s{schema}-v{SEED_VERSION}.db"


def seeded_store(count: int, workdir: Path) -> Path:
    """A private copy of a store holding ``count`` jobs (seeded once, then copied)."""
    cached = _cache_path(count)
    if not cached.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        partial = cached.with_suffix(".partial")
        partial.unlink(missing_ok=True)
        asyncio.run(_create(partial))
        conn = sqlite3.connect(partial, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode = DELETE")
            conn.execute("BEGIN IMMEDIATE")
            now = time.time()
            conn.execute(SEED, {"count": count, "now": now, "t0": now - 86400 - count * 0.001})
            conn.execute("COMMIT")
            conn.execute("ANALYZE")
            conn.execute("PRAGMA journal_mode = WAL")
        finally:
            conn.close()
        partial.rename(cached)
    copy = workdir / cached.name
    shutil.copyfile(cached, copy)
    return copy


async def _create(path: Path) -> None:
    store = await open_store(str(path))
    await store.close()


async def _api_times(url: str, calls: int) -> dict[str, float]:
    """Median milliseconds per store call: claim one, status (counts + workers), dead list."""
    store = await open_store(url)
    try:
        await store.counts()  # open and warm the connection
        results: dict[str, list[float]] = {"claim": [], "status": [], "list": []}
        for _ in range(calls):
            start = time.perf_counter()
            claimed = await store.claim(WORKER, None, 1, 30.0)
            results["claim"].append(time.perf_counter() - start)
            if len(claimed) != 1:
                raise RuntimeError("claim found nothing in the seeded store")
            start = time.perf_counter()
            await store.counts()
            await store.list_workers()
            results["status"].append(time.perf_counter() - start)
            start = time.perf_counter()
            dead = await store.list_jobs(state=JobState.DEAD, limit=50)
            results["list"].append(time.perf_counter() - start)
            if len(dead) != 50:
                raise RuntimeError("dead list came back short")
        return {k: statistics.median(v) * 1000 for k, v in results.items()}
    finally:
        await store.close()


def api_times(path: Path, calls: int) -> dict[str, float]:
    return asyncio.run(_api_times(str(path), calls))


def cli_ms(path: Path, args: list[str], runs: int) -> float:
    """Median milliseconds of ``queuectl ARGS`` as a whole process on the big store."""
    env = cli_env(str(path))
    times = [timed_run([*queuectl_bin(), *args], env, limit=60) for _ in range(runs)]
    return statistics.median(times) * 1000
