"""Queues (DESIGN §8): what pause/limits cost the claim, and claims during a retention sweep.

    python -m bench.queues claim [--store sqlite|postgres|both] [--calls 2000]
    python -m bench.queues retention [--store ...] [--jobs 1000000]

``claim`` times the worker's hot path (``finish_and_claim``: record one success, claim one job)
with no queue settings, with another queue paused, and with the claimed queue limited (room to
spare, so only the cost shows), then the throughput of 4 concurrent claimers with and without
a limit. ``retention`` seeds a store with ``--jobs`` completed jobs (each with an attempt record)
past their retention, and times the same hot path before and while a worker's sweep deletes
them all. Results are printed as a markdown table (docs/PERFORMANCE.md quotes them).
"""

from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path

from bench.queues_seed import analyze, seed_completed
from bench.stats import percentile
from bench.stores import fresh_store, postgres_available, workdir
from queuectl_core import retention
from queuectl_core.models import Finish, Job, JobSpec, Outcome
from queuectl_core.store.base import Store
from queuectl_core.store.open import open_store


class HotPath:
    """One worker slot's loop: finish the previous job and claim the next, one call each."""

    def __init__(self, store: Store, worker: str, queues: list[str] | None = None) -> None:
        self.store, self.worker, self.queues = store, worker, queues
        self.current: Job | None = None

    async def step(self) -> float:
        done = []
        if self.current is not None:
            done = [Finish(self.current.id, self.worker, self.current.runs, Outcome(0, None))]
        start = time.perf_counter()
        _, jobs = await self.store.finish_and_claim(done, self.worker, self.queues, 1, 30.0)
        took = time.perf_counter() - start
        self.current = jobs[0] if jobs else None
        if self.current is None:
            raise RuntimeError("the bench ran out of jobs")
        return took


def summary(label: str, kind: str, times: list[float], extra: str = "") -> str:
    us = [t * 1e6 for t in times]
    p50, p95, p99 = (percentile(us, f) for f in (0.5, 0.95, 0.99))
    return f"| {kind} | {label} | {p50:.0f} | {p95:.0f} | {p99:.0f} | {max(us):.0f} | {extra} |"


HEADER = (
    "| store | case | p50 µs | p95 µs | p99 µs | max µs | note |\n|---|---|---|---|---|---|---|"
)


async def _fill(store: Store, queue: str, count: int) -> None:
    for start in range(0, count, 5000):
        specs = [JobSpec("true", queue=queue) for _ in range(min(5000, count - start))]
        await store.enqueue(specs)


async def _concurrent(url: str, claimers: int, seconds: float) -> float:
    """Claims per second of ``claimers`` connections running the hot path together."""
    stores = [await open_store(url) for _ in range(claimers)]
    paths = [HotPath(s, f"bench-c{i}") for i, s in enumerate(stores)]
    count = 0
    deadline = time.perf_counter() + seconds

    async def run(path: HotPath) -> None:
        nonlocal count
        while time.perf_counter() < deadline:
            await path.step()
            count += 1

    start = time.perf_counter()
    await asyncio.gather(*(run(p) for p in paths))
    rate = count / (time.perf_counter() - start)
    await asyncio.gather(*(s.close() for s in stores))
    return rate


async def _claim_cases(url: str, kind: str, calls: int) -> list[str]:
    store = await open_store(url)
    rows = []
    try:
        await _fill(store, "other", 50_000)  # oldest: first in claim order, until paused
        await _fill(store, "work", calls * 3 + 60_000)
        await analyze(url)
        path = HotPath(store, "bench-w")
        for _ in range(200):  # warm up
            await path.step()
        cases = [("no queue settings", None), ("50k-job queue ahead paused", "pause")]
        cases.append(("claimed queue limited (room left)", "limit"))
        for label, change in cases:
            if change == "pause":
                await store.set_paused(["other"], True)
            if change == "limit":
                await store.set_concurrency("work", 1000)
            times = [await path.step() for _ in range(calls)]
            rows.append(summary(label, kind, times))
        await store.set_paused(["other"], False)
        await store.set_concurrency("work", 0)
        free = await _concurrent(url, 4, 5.0)
        await store.set_concurrency("work", 1000)
        capped = await _concurrent(url, 4, 5.0)
        rows.append(f"| {kind} | 4 claimers, no limit | | | | | {free:.0f} claims/s |")
        rows.append(f"| {kind} | 4 claimers, queue limited | | | | | {capped:.0f} claims/s |")
    finally:
        await store.close()
    return rows


async def _retention_case(url: str, kind: str, jobs: int) -> list[str]:
    await seed_completed(url, jobs)
    store = await open_store(url)
    sweeper = await open_store(url)
    rows = []
    try:
        await _fill(store, "work", 60_000)
        await analyze(url)
        path = HotPath(store, "bench-w")
        before = []
        for _ in range(1500):
            before.append(await path.step())
            await asyncio.sleep(0.002)
        rows.append(summary("claim, no sweep", kind, before))
        config = await store.set_config("retention_completed", "1h")
        started = time.perf_counter()
        sweep = asyncio.create_task(retention.sweep(sweeper, config))
        during = []
        while not sweep.done():
            during.append(await path.step())
            await asyncio.sleep(0.002)
        deleted = await sweep
        took = time.perf_counter() - started
        note = f"sweep deleted {deleted} jobs in {took:.1f} s ({deleted / took:.0f}/s)"
        rows.append(summary("claim during the sweep", kind, during, note))
    finally:
        await store.close()
        await sweeper.close()
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.queues", description=__doc__)
    parser.add_argument("what", choices=["claim", "retention"])
    parser.add_argument("--store", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--calls", type=int, default=2000, help="claims timed per case")
    parser.add_argument("--jobs", type=int, default=1_000_000, help="old jobs to sweep")
    args = parser.parse_args(argv)
    kinds = ["sqlite", "postgres"] if args.store == "both" else [args.store]
    if "postgres" in kinds and not postgres_available():
        kinds.remove("postgres")
    scratch: Path = workdir()
    print(HEADER)
    for kind in kinds:
        with fresh_store(kind, scratch) as url:
            if args.what == "claim":
                rows = asyncio.run(_claim_cases(url, kind, args.calls))
            else:
                rows = asyncio.run(_retention_case(url, kind, args.jobs))
        print("\n".join(rows), flush=True)


if __name__ == "__main__":
    main()
