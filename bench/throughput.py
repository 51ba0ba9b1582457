"""W1 and W2: a real ``WorkerPool`` draining a pre-filled queue, in-process or as ``queuectl``."""

from __future__ import annotations

import asyncio
import resource
import subprocess
import time

from bench.stores import cli_env, queuectl_bin, timed_run
from queuectl_core.models import JobSpec
from queuectl_core.store.open import open_store
from queuectl_core.worker import WorkerPool

BATCH = 5000


async def fill(url: str, count: int, command: str) -> None:
    """Enqueue ``count`` copies of ``command`` (not timed)."""
    store = await open_store(url)
    try:
        for start in range(0, count, BATCH):
            size = min(BATCH, count - start)
            await store.enqueue([JobSpec(command=command) for _ in range(size)])
    finally:
        await store.close()


async def _drain(url: str, slots: int) -> tuple[float, float, int]:
    store = await open_store(url)
    try:
        pool = WorkerPool(store, slots=slots, drain=True)
        cpu, start = process_cpu(), time.perf_counter()
        await pool.run()
        elapsed, used = time.perf_counter() - start, process_cpu() - cpu
        return elapsed, used, pool.jobs_done
    finally:
        await store.close()


def process_cpu() -> float:
    """CPU seconds of this process, every thread (aiosqlite's too), user and system."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def drain_measured(url: str, count: int, command: str, slots: int) -> tuple[float, float]:
    """(seconds, worker CPU seconds) for an in-process pool of ``slots`` to run ``count`` jobs
    of ``command``; the commands' own CPU is not counted."""
    asyncio.run(fill(url, count, command))
    elapsed, used, done = asyncio.run(_drain(url, slots))
    if done != count:
        raise RuntimeError(f"pool ran {done} jobs, expected {count}")
    return elapsed, used


def drain_in_process(url: str, count: int, command: str, slots: int) -> float:
    """Seconds for an in-process pool of ``slots`` to run ``count`` jobs of ``command``."""
    return drain_measured(url, count, command, slots)[0]


def drain_cli(url: str, count: int, command: str, slots: int) -> float:
    """Seconds for ``queuectl worker start --count N --drain`` (the whole process) to run them."""
    asyncio.run(fill(url, count, command))
    env = cli_env(url)
    argv = [*queuectl_bin(), "worker", "start", "--count", str(slots), "--drain"]
    elapsed = timed_run(argv, env, limit=600, stderr=subprocess.DEVNULL)
    asyncio.run(_check_done(url, count))
    return elapsed


async def _check_done(url: str, count: int) -> None:
    store = await open_store(url)
    try:
        counts = await store.counts()
    finally:
        await store.close()
    done = sum(counts.values()) - counts[next(s for s in counts if s == "pending")]
    if done != count:
        raise RuntimeError(f"worker left jobs unfinished: {counts}")
