"""Schedule firing precision: how late a fire lands, with several worker processes.

Starts ``--workers`` real ``queuectl worker start --count 1`` processes on a fresh store, adds
an ``--every`` schedule once they are idle, and waits for ``--fires`` jobs. Each fired job's
``run_at`` is the fire time it stands for and its ``created_at`` the moment a worker's claim of
that fire committed (both on the store's clock), so lateness = created_at - run_at. Also checks
that no fire time made two jobs and none was skipped.

    python -m bench.schedule_precision [--store sqlite|postgres|both] [--every 1] [--fires 30]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import signal
import subprocess
import time

from bench.stats import percentile
from bench.stores import cli_env, fresh_store, postgres_available, queuectl_bin, workdir
from queuectl_core.models import Job
from queuectl_core.recurrence import Rule
from queuectl_core.schedule_model import ScheduleSpec
from queuectl_core.store.open import open_store

NAME = "precision"


async def _collect(url: str, workers: int, every: float, fires: int) -> list[Job]:
    store = await open_store(url)
    try:
        deadline = time.monotonic() + 60
        while len(await store.list_workers()) < workers:
            if time.monotonic() > deadline:
                raise RuntimeError("workers did not register")
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.5)  # idle: their first looks found nothing to fire
        await store.add_schedule(ScheduleSpec(NAME, Rule(None, every), "true"))
        deadline = time.monotonic() + fires * every * 3 + 30
        while True:
            jobs = [j for j in await store.list_jobs() if j.schedule == NAME]
            if len(jobs) >= fires:
                await store.pause_schedule(NAME, True)
                return sorted(jobs, key=lambda j: j.run_at)[:fires]
            if time.monotonic() > deadline:
                raise RuntimeError(f"only {len(jobs)} of {fires} fires")
            await asyncio.sleep(every / 2)
    finally:
        await store.close()


def measure(kind: str, workers: int, every: float, fires: int) -> list[Job]:
    """The first ``fires`` jobs of an ``every`` schedule with ``workers`` worker processes."""
    with fresh_store(kind, workdir()) as url:
        asyncio.run(_init(url))
        procs = [
            subprocess.Popen(
                [*queuectl_bin(), "worker", "start", "--count", "1", "-q"],
                env=cli_env(url),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for _ in range(workers)
        ]
        try:
            return asyncio.run(_collect(url, workers, every, fires))
        finally:
            for proc in procs:
                proc.send_signal(signal.SIGTERM)
            for proc in procs:
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


async def _init(url: str) -> None:
    store = await open_store(url)
    await store.close()


def report(kind: str, jobs: list[Job], every: float) -> str:
    late = [(j.created_at - j.run_at) * 1000 for j in jobs]
    times = [j.run_at for j in jobs]
    duplicates = len(times) - len(set(times))
    skipped = sum(round((b - a) / every) - 1 for a, b in itertools.pairwise(times))
    return (
        f"{kind:<9} fires={len(jobs):<4} late p50={percentile(late, 0.5):6.1f} ms"
        f"  p95={percentile(late, 0.95):6.1f} ms  max={max(late):6.1f} ms"
        f"  duplicates={duplicates}  skipped={skipped}"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.schedule_precision", description=__doc__)
    parser.add_argument("--store", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--workers", type=int, default=3, help="worker processes (3)")
    parser.add_argument("--every", type=float, default=1.0, help="schedule period, s (1)")
    parser.add_argument("--fires", type=int, default=30, help="fires to measure (30)")
    args = parser.parse_args(argv)
    kinds = ["sqlite", "postgres"] if args.store == "both" else [args.store]
    for kind in kinds:
        if kind == "postgres" and not postgres_available():
            print("postgres  skipped: server not reachable")
            continue
        jobs = measure(kind, args.workers, args.every, args.fires)
        print(report(kind, jobs, args.every), flush=True)


if __name__ == "__main__":
    main()
