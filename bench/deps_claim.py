"""The claim/finish hot path with dependencies in the schema (DESIGN §10).

Drives a store's ``finish_and_claim`` directly (no processes), as a busy worker does: claim a
batch, record it as succeeded and claim the next in one transaction, until the queue is empty.
Reports microseconds per job, median of ``--rounds`` fresh stores.

    python -m bench.deps_claim --store sqlite            # jobs nobody depends on
    python -m bench.deps_claim --store sqlite --chains   # every job the dependency of the next
    PYTHONPATH=/path/to/older/checkout python -m bench.deps_claim ...   # the same, before

``--explain`` prints the claim's plan (SQLite: EXPLAIN QUERY PLAN, PostgreSQL: EXPLAIN) on a
store holding ``--jobs`` due and as many waiting jobs.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg

import queuectl_core
from queuectl_core.models import Finish, JobSpec, Outcome
from queuectl_core.store.open import open_store

PG_SERVER = "postgresql://postgres@127.0.0.1:5432"
BATCH = 8


def specs(count: int, chains: bool) -> list[JobSpec]:
    """``count`` jobs; with ``chains``, pairs: each odd job runs after the even one before it."""
    if not chains:
        return [JobSpec("true", id=f"j{i}") for i in range(count)]
    return [
        JobSpec("true", id=f"j{i}", after=(f"j{i - 1}",) if i % 2 else ()) for i in range(count)
    ]


async def drain(url: str, count: int, chains: bool) -> tuple[float, float]:
    """Microseconds per job for claim + finish of ``count`` jobs: wall clock, and CPU time of
    this process (all threads: SQLite's work is on aiosqlite's thread), which a loaded machine
    disturbs less."""
    store = await open_store(url)
    try:
        await store.enqueue(specs(count, chains))
        jobs = await store.claim("w", None, BATCH, 300)
        done = 0
        start, cpu = time.perf_counter(), time.process_time()
        while jobs:
            finishes = [Finish(j.id, "w", j.runs, Outcome(0, None)) for j in jobs]
            done += len(finishes)
            _, jobs = await store.finish_and_claim(finishes, "w", None, BATCH, 300)
            if not jobs:
                # On PostgreSQL, finish and claim are one statement: the jobs it released can
                # be claimed from the next one (a worker hears the trigger's NOTIFY).
                jobs = await store.claim("w", None, BATCH, 300)
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        if done != count:
            raise RuntimeError(f"ran {done} jobs, expected {count}")
        return elapsed / count * 1e6, cpu / count * 1e6
    finally:
        await store.close()


async def fresh_url(backend: str, folder: Path) -> str:
    if backend == "sqlite":
        return str(folder / f"{uuid.uuid4().hex}.db")
    name = f"queuectl_bench_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(f"{PG_SERVER}/postgres")
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return f"{PG_SERVER}/{name}"


async def drop(url: str) -> None:
    if not url.startswith("postgresql://"):
        return
    conn = await asyncpg.connect(f"{PG_SERVER}/postgres")
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
    finally:
        await conn.close()


async def explain(url: str, count: int) -> None:
    from queuectl_core.store import postgres_worker_sql, sqlite_worker_sql

    store = await open_store(url)
    try:
        await store.enqueue([JobSpec("true", id="root", run_at=4e9)])
        await store.enqueue(specs(count, False))
        await store.enqueue([JobSpec("true", after=("root",)) for _ in range(count)])
    finally:
        await store.close()
    if url.startswith("postgresql://"):
        conn = await asyncpg.connect(url, server_settings={"search_path": "queuectl"})
        try:
            await conn.execute("ANALYZE jobs")
            rows = await conn.fetch(
                f"EXPLAIN {postgres_worker_sql.CLAIM}", None, "w", BATCH, None, 30.0
            )
            print("\n".join(r[0] for r in rows))
            # Which triggers the finish of a job nobody depends on runs (jobs_deps: none).
            (job,) = await conn.fetch(postgres_worker_sql.CLAIM, None, "w", 1, None, 30.0)
            statement = f"EXPLAIN (ANALYZE) {postgres_worker_sql.FINISH}"
            args = ("w", job["runs"], "completed", 0, None, None, "", "")
            rows = await conn.fetch(statement, None, job["id"], *args)
            print("\n".join(r[0] for r in rows if r[0].startswith("Trigger")))
        finally:
            await conn.close()
        return
    import sqlite3

    conn = sqlite3.connect(url)
    statement = sqlite_worker_sql.CLAIM.format(queue_filter="")
    params = {"worker": "w", "limit": BATCH, "now": time.time(), "lease": 0}
    for row in conn.execute(f"EXPLAIN QUERY PLAN {statement}", params):
        print(row[-1])
    conn.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--jobs", type=int, default=4000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--chains", action="store_true")
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args()
    print(f"# queuectl_core from {Path(queuectl_core.__file__).parent.parent}")
    with tempfile.TemporaryDirectory() as folder:
        if args.explain:
            url = await fresh_url(args.store, Path(folder))
            try:
                await explain(url, args.jobs)
            finally:
                await drop(url)
            return
        results = []
        for _ in range(args.rounds):
            url = await fresh_url(args.store, Path(folder))
            try:
                results.append(await drain(url, args.jobs, args.chains))
            finally:
                await drop(url)
        walls, cpus = [r[0] for r in results], [r[1] for r in results]
        kind = "chained pairs" if args.chains else "no dependents"
        print(
            f"{args.store} {kind}: {statistics.median(walls):.1f} us/job wall, "
            f"{statistics.median(cpus):.1f} us/job CPU (medians of {args.rounds} x {args.jobs}"
            f" jobs; wall {' '.join(f'{w:.0f}' for w in walls)})"
        )


if __name__ == "__main__":
    asyncio.run(main())
