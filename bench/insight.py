"""Insight at a million jobs: ``failures`` and the list filters on a store of 1,000,000 jobs of
which ~10,000 are failed or dead, each with a realistic stderr (five ways of failing, numbers,
hosts and paths varying). Run: ``python -m bench.insight [--count N] [--postgres URL]``.

The SQLite store is W5's seeded store (bench/bigstore.py) with most failed/dead jobs turned
completed; prints one line per figure (median milliseconds) and the query plans.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from bench.bigstore import seeded_store
from bench.stores import cli_env, queuectl_bin, timed_run
from queuectl_core.insight import JobFilter, group_failures
from queuectl_core.store import sqlite_insight
from queuectl_core.store.open import open_store

# (error, stderr) by i % 5: varying numbers, hosts and paths, five real groups.
SHAPES = """
CASE i % 5
  WHEN 0 THEN 'curl: (7) Failed to connect to 10.0.' || (i % 250) || '.' || (i % 7) || ' port '
              || (8000 + i % 100) || ' after ' || (i % 900) || ' ms: Connection refused'
  WHEN 1 THEN 'cat: /data/in/' || i || '/part-' || (i % 13) || '.csv: No such file or directory'
  WHEN 2 THEN 'Traceback (most recent call last):' || char(10) || '  File "/srv/app/job'
              || (i % 9) || '.py", line ' || (i % 300) || ', in main' || char(10)
              || '    int(x)' || char(10)
              || 'ValueError: invalid literal for int() with base 10: ''' || i || 'x'''
  WHEN 3 THEN 'HTTP 503 Service Unavailable from https://api.example.com/v2/items/' || i
  ELSE 'worker ' || i || ' at 2026-11-30T12:' || (10 + i % 50) || ':00Z: lock /tmp/l' || i
       || ' held'
END
"""

# Keep one failed/dead job in ten (~10,000 of the seed's ~100,000), give each its last
# attempt's stderr (and a 2 KB stdout, so the outputs table is not unrealistically small).
SHAPE_STORE = f"""
UPDATE jobs SET state = 'completed', exit_code = 0, last_error = NULL
WHERE state IN ('failed', 'dead') AND (seq / 100) % 10 != 0;
INSERT OR REPLACE INTO outputs (job_id, attempt, stdout, stderr)
SELECT id, runs, printf('%.2000c', 'x'), s FROM (
    SELECT id, runs, {SHAPES} AS s FROM (
        SELECT id, runs, seq AS i FROM jobs WHERE state IN ('failed', 'dead')));
UPDATE jobs SET last_error = CASE seq % 5 WHEN 0 THEN 'exit 7' WHEN 4 THEN 'timed out after 5s'
    ELSE 'exit 1' END WHERE state IN ('failed', 'dead');
ANALYZE;
"""


def shaped_store(count: int, workdir: Path) -> Path:
    path = seeded_store(count, workdir)
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.executescript(SHAPE_STORE)
    finally:
        conn.close()
    return path


# The same store on PostgreSQL: 1,000,000 jobs in one INSERT ... SELECT, 1% of them failed or
# dead (the SQLite seed's states, with nine in ten failed/dead turned completed).
PG_SEED = """
INSERT INTO jobs (id, command, state, queue, priority, attempts, runs, max_retries, run_at,
                  created_at, updated_at, started_at, finished_at, exit_code, last_error)
SELECT 'seed-' || lpad(i::text, 7, '0'), 'echo job ' || i, st,
       CASE WHEN i % 10 = 0 THEN 'reports' ELSE 'default' END, (i * 7) % 11 - 5,
       1, 1, 3, t0 + i * 0.001, t0 + i * 0.001, t0 + i * 0.001, t0 + i * 0.001,
       t0 + i * 0.001 + 0.05,
       CASE WHEN st = 'completed' THEN 0 WHEN i % 5 = 0 THEN 7 ELSE 1 END,
       CASE WHEN st = 'completed' THEN NULL WHEN i % 5 = 0 THEN 'exit 7'
            WHEN i % 5 = 4 THEN 'timed out after 5s' ELSE 'exit 1' END
FROM (SELECT i, $1::float8 - 86400 - $2::int * 0.001 AS t0,
             CASE WHEN i % 100 BETWEEN 82 AND 91 AND (i / 100) % 10 = 0
                  THEN (CASE WHEN i % 100 < 86 THEN 'failed' ELSE 'dead' END)
                  WHEN i % 100 >= 82 AND i % 100 < 92 THEN 'completed'
                  WHEN i % 100 < 70 THEN 'completed' WHEN i % 100 < 82 THEN 'pending'
                  WHEN i % 100 < 97 THEN 'cancelled' ELSE 'completed' END AS st
      FROM generate_series(1, $2::int) i) s
"""
PG_OUTPUTS = """
INSERT INTO outputs (job_id, attempt, stdout, stderr)
SELECT id, runs, repeat('x', 2000), {shapes} FROM (
    SELECT id, runs, seq AS i FROM jobs WHERE state IN ('failed', 'dead')) s
""".format(shapes=SHAPES.replace("char(10)", "chr(10)"))


async def pg_seed(url: str, count: int) -> None:
    import asyncpg

    store = await open_store(url, create=True)
    await store.close()
    conn = await asyncpg.connect(url, server_settings={"search_path": "queuectl"})
    try:
        await conn.execute(PG_SEED, time.time(), count)
        await conn.execute(PG_OUTPUTS)
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


async def store_times(url: str, runs: int) -> dict[str, float]:
    store = await open_store(url)
    try:
        await store.counts()
        read, group, since = [], [], []
        groups = []
        for _ in range(runs):
            start = time.perf_counter()
            rows = await store.failure_rows()
            read.append(time.perf_counter() - start)
            start = time.perf_counter()
            groups = group_failures(rows)
            group.append(time.perf_counter() - start)
            start = time.perf_counter()
            await store.list_jobs(where=JobFilter(since=time.time() - 3600), limit=50)
            since.append(time.perf_counter() - start)
        print(f"  failed/dead rows: {len(rows)}, groups: {len(groups)}")
        for g in groups:
            print(f"    {g.count:6d}  {g.example[:90]}")
        return {
            "failure_rows (store call)": median_ms(read),
            "group_failures (pure Python)": median_ms(group),
            "list --since 1h --limit 50 (store call)": median_ms(since),
        }
    finally:
        await store.close()


def cli_ms(url: str, args: list[str], runs: int) -> float:
    times = [timed_run([*queuectl_bin(), *args], cli_env(url), limit=120) for _ in range(runs)]
    return median_ms(times)


def plans(path: Path) -> None:
    conn = sqlite3.connect(path)
    try:
        query = sqlite_insight.FAILURE_ROWS.format(queue="")
        queries: list[tuple[str, str, list[object]]] = [
            ("failure rows", query, []),
            (
                "list --since",
                "SELECT id FROM jobs WHERE created_at >= ? ORDER BY seq DESC LIMIT 50",
                [time.time() - 3600],
            ),
            (
                "count --since",
                "SELECT count(*) FROM jobs WHERE created_at >= ?",
                [time.time() - 3600],
            ),
            (
                "bulk by group (ids)",
                "SELECT count(*) FROM jobs WHERE state IN ('dead', 'failed') AND "
                "id IN (SELECT value FROM json_each(?))",
                ['["a", "b"]'],
            ),
        ]
        for label, sql, params in queries:
            plan = conn.execute("EXPLAIN QUERY PLAN " + sql, params).fetchall()
            print(f"  plan, {label}: " + "; ".join(row[-1] for row in plan))
    finally:
        conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--postgres", metavar="URL", help="Also a fresh database at this URL.")
    args = parser.parse_args()
    if args.postgres:
        print(f"store: {args.count:,} jobs (postgres)")
        asyncio.run(pg_seed(args.postgres, args.count))
        report(args.postgres, args.runs)
    with tempfile.TemporaryDirectory(prefix="qinsight-") as tmp:
        path = shaped_store(args.count, Path(tmp))
        url = str(path)
        print(f"store: {args.count:,} jobs (sqlite)")
        plans(path)
        report(url, args.runs)


def report(url: str, runs: int) -> None:
    """Time the store calls and the whole commands on the store at ``url``."""
    figures = asyncio.run(store_times(url, runs))
    found = subprocess.run(
        [*queuectl_bin(), "failures", "--json"],
        env=cli_env(url),
        check=True,
        capture_output=True,
        text=True,
    )
    first = json.loads(found.stdout)[0]["fingerprint"]
    commands = {
        "`queuectl failures --json`": ["failures", "--json"],
        "`queuectl retry --group FP --dry-run`": ["retry", "--group", first, "--dry-run"],
        "`queuectl list --error 'timed out' --limit 50`": [
            "list",
            "--error",
            "timed out",
            "-n",
            "50",
        ],
        "`queuectl list --since 1h --limit 50`": ["list", "--since", "1h", "--limit", "50"],
    }
    for label, args in commands.items():
        figures[f"{label} (whole process)"] = cli_ms(url, args, runs)
    for label, value in figures.items():
        print(f"  {label}: {value:.1f} ms")


if __name__ == "__main__":
    main()
