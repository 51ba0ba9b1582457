"""W4: pickup latency, enqueue commit -> the job's process running, with idle workers.

The workers are a real ``queuectl worker start`` process. The job is ``date +%s.%N``: dash
execs it in place of the shell, so the time it prints is taken just after the exec, and the
worker captures it as the job's output. The enqueue commit time is taken by this process as
soon as ``store.enqueue`` returns (after COMMIT).
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import time

from bench.stats import percentile
from bench.stores import cli_env, queuectl_bin
from queuectl_core.models import JobSpec, JobState
from queuectl_core.store.base import Store
from queuectl_core.store.open import open_store

COMMAND = "date +%s.%N"


async def _wait_for_worker(store: Store, deadline: float) -> None:
    while not await store.list_workers():
        if time.monotonic() > deadline:
            raise RuntimeError("worker did not register")
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.3)  # let it go idle (its first claim finds nothing)


async def _wait_done(store: Store, job_id: str, deadline: float) -> float:
    while True:
        output = await store.output(job_id)
        if output is not None and output.finished and output.stdout.strip():
            return float(output.stdout.strip())
        job = await store.get_job(job_id)
        if job is not None and job.state in (JobState.FAILED, JobState.DEAD):
            raise RuntimeError(f"latency job failed: {job.last_error}")
        if time.monotonic() > deadline:
            raise RuntimeError("latency job did not run")
        await asyncio.sleep(0.01)


async def _measure(url: str, jobs: int, gap: float) -> list[float]:
    store = await open_store(url)
    try:
        await _wait_for_worker(store, time.monotonic() + 30)
        latencies = []
        for _ in range(jobs):
            [job] = await store.enqueue([JobSpec(command=COMMAND)])
            committed = time.time()
            started = await _wait_done(store, job.id, time.monotonic() + 30)
            latencies.append(started - committed)
            await asyncio.sleep(gap)
        return latencies
    finally:
        await store.close()


def pickup_latencies(url: str, jobs: int, gap: float = 0.1, slots: int = 2) -> list[float]:
    """Seconds from enqueue commit to the job running, one job at a time, ``gap`` apart."""
    env = cli_env(url)
    asyncio.run(_init(url))
    worker = subprocess.Popen(
        [*queuectl_bin(), "worker", "start", "--count", str(slots)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        return asyncio.run(_measure(url, jobs, gap))
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


async def _init(url: str) -> None:
    store = await open_store(url)
    await store.close()


async def _floor(count: int, gap: float) -> list[float]:
    from bench.spawn import install_child_watcher

    install_child_watcher()
    found = []
    for _ in range(count):
        before = time.time()
        process = await asyncio.create_subprocess_exec(
            "/bin/sh",
            "-c",
            COMMAND,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
        )
        out, _ = await process.communicate()
        found.append(float(out) - before)
        await asyncio.sleep(gap)
    return found


def spawn_floor(count: int, gap: float = 0.05) -> list[float]:
    """Seconds from spawning the job's command directly (no queue) to its ``date`` running."""
    return asyncio.run(_floor(count, gap))


def summarize(latencies: list[float]) -> tuple[float, float]:
    """(p50, p95) in milliseconds."""
    ms = [x * 1000 for x in latencies]
    return percentile(ms, 0.5), percentile(ms, 0.95)
