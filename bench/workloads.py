"""The workloads of issue 5, each adding its rows to the results."""

from __future__ import annotations

import functools
import logging
import os
import statistics
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench import bigstore, console, enqueue, latency, spawn, throughput
from bench.plan import CONCURRENCY, SLEEP_W2, SLOTS_W1, SLOTS_W2, Sizes
from bench.stats import Results, Row, check
from bench.stores import fresh_store

log = logging.getLogger("bench")
STATUS_ARGS = ["status"]
LIST_ARGS = ["list", "--state", "dead", "--limit", "50"]
W1_TARGET = {"sqlite": 0.90, "postgres": 0.80}


@dataclass(slots=True)
class Context:
    sizes: Sizes
    reps: int
    workdir: Path
    stores: tuple[str, ...]
    results: Results

    def row(
        self,
        row_id: str,
        workload: str,
        store: str,
        unit: str,
        samples: list[float],
        target: str = "-",
        met: bool | None = None,
        note: str = "",
    ) -> Row:
        load = os.getloadavg()[0]
        log.info("%s %s %s: %s", row_id, store, workload, [round(s, 3) for s in samples])
        return self.results.add(
            Row(row_id, workload, store, unit, tuple(samples), target, met, note, load)
        )

    def repeat(self, measure: Callable[[], float]) -> list[float]:
        return [measure() for _ in range(self.reps)]


def median(samples: list[float]) -> float | None:
    return statistics.median(samples) if samples else None


def guarded(
    ctx: Context,
    row_id: str,
    workload: str,
    store: str,
    unit: str,
    target: str,
    measure: Callable[[], None],
) -> None:
    """Run ``measure``; if it fails, record a row saying why instead of stopping the run."""
    try:
        measure()
    except Exception as exc:
        log.error("%s on %s failed:\n%s", row_id, store, traceback.format_exc())
        ctx.row(row_id, workload, store, unit, [], target, None, f"failed: {exc}"[:200])


def w0(ctx: Context) -> None:
    count = ctx.sizes.spawns
    for pidfd, label in ((False, "default (thread) watcher"), (True, "pidfd watcher")):
        for concurrency in CONCURRENCY:
            rate = functools.partial(spawn.spawn_rate, count, concurrency, pidfd=pidfd)
            samples = ctx.repeat(rate)
            ctx.row("W0", f"spawn `sh -c true`, c={concurrency}, {label}", "-", "cmds/s", samples)


def w1(ctx: Context, store: str) -> None:
    """Each repetition spawns the W0 ceiling (pidfd, c=4) right before the pool run and takes
    the ratio of the pair, so a burst of load from elsewhere hits both sides of a ratio. The
    in-process runs also give the CPU per job of each side (``getrusage`` of this process: the
    pool with its store thread, against asyncio's subprocess machinery)."""
    n, target = ctx.sizes.w1_jobs, W1_TARGET[store]
    rates, ratios, ours_us, raw_us = [], [], [], []
    for _ in range(ctx.reps):
        cpu = throughput.process_cpu()
        ceiling = spawn.spawn_rate(n, SLOTS_W1, pidfd=True)
        raw_us.append((throughput.process_cpu() - cpu) / n * 1e6)
        with fresh_store(store, ctx.workdir) as url:
            elapsed, used = throughput.drain_measured(url, n, "true", SLOTS_W1)
        rates.append(n / elapsed)
        ratios.append(rates[-1] / ceiling)
        ours_us.append(used / n * 1e6)
    ctx.row("W1", f"{n} `true` jobs, 4 slots, in-process WorkerPool", store, "jobs/s", rates)
    ctx.row(
        "W1",
        "ratio to W0 (pidfd watcher, c=4, paired per repetition)",
        store,
        "ratio",
        ratios,
        f">= {target:.2f}",
        check(median(ratios), at_least=target),
    )
    ctx.row("W1", "worker CPU per job, in-process pool", store, "us/job", ours_us)
    ctx.row("W1", "spawner CPU per job, raw asyncio (pidfd, c=4)", store, "us/job", raw_us)
    cli_rates, cli_ratios = [], []
    for _ in range(ctx.reps):
        ceiling = spawn.spawn_rate(n, SLOTS_W1, pidfd=True)
        with fresh_store(store, ctx.workdir) as url:
            cli_rates.append(n / throughput.drain_cli(url, n, "true", SLOTS_W1))
        cli_ratios.append(cli_rates[-1] / ceiling)
    ctx.row(
        "W1",
        f"{n} `true` jobs via `queuectl worker start --count 4 --drain`",
        store,
        "jobs/s",
        cli_rates,
        note="whole process, start-up and shut-down included",
    )
    ctx.row("W1", "ratio to W0 of the CLI run (paired)", store, "ratio", cli_ratios)


def w2(ctx: Context, store: str) -> None:
    n = ctx.sizes.w2_jobs
    ideal = n * SLEEP_W2 / SLOTS_W2
    command = f"sleep {SLEEP_W2}"

    def once() -> float:
        with fresh_store(store, ctx.workdir) as url:
            return ideal / throughput.drain_in_process(url, n, command, SLOTS_W2)

    samples = ctx.repeat(once)
    ctx.row(
        "W2",
        f"{n} x `sleep {SLEEP_W2}`, 8 slots: ideal / wall",
        store,
        "ratio",
        samples,
        ">= 0.95",
        check(median(samples), at_least=0.95),
    )


def w2_floor(ctx: Context) -> None:
    n = ctx.sizes.w2_jobs
    ideal = n * SLEEP_W2 / SLOTS_W2
    samples = ctx.repeat(lambda: ideal / spawn.spawn_wall(n, SLOTS_W2, f"sleep {SLEEP_W2}"))
    ctx.row(
        "W2",
        f"floor: {n} x `sleep {SLEEP_W2}` spawned directly, c=8: ideal / wall",
        "-",
        "ratio",
        samples,
        note="no queue: what spawning alone reaches",
    )


def w3(ctx: Context, store: str) -> None:
    n, runs = ctx.sizes.w3_bulk, ctx.sizes.w3_single_runs

    def bulk() -> float:
        with fresh_store(store, ctx.workdir) as url:
            return enqueue.bulk_rate(url, n, ctx.workdir)

    def single() -> float:
        with fresh_store(store, ctx.workdir) as url:
            return enqueue.single_ms(url, runs)

    rates = ctx.repeat(bulk)
    ctx.row(
        "W3",
        f"`queuectl enqueue --file` of {n:,} jobs (whole process)",
        store,
        "jobs/s",
        rates,
        ">= 50,000",
        check(median(rates), at_least=50_000),
    )
    singles = ctx.repeat(single)
    ctx.row(
        "W3",
        f"one `queuectl enqueue '{{...}}'` (median of {runs} processes)",
        store,
        "ms",
        singles,
        "<= 150",
        check(median(singles), at_most=150),
    )


def w3_baselines(ctx: Context) -> None:
    runs = ctx.sizes.w3_single_runs
    for which, label in (("python", "`python -c pass`"), ("queuectl", "`queuectl --version`")):
        samples = ctx.repeat(functools.partial(enqueue.baseline_ms, which, runs))
        ctx.row("W3", f"baseline: {label} (median of {runs})", "-", "ms", samples)


def w4(ctx: Context, store: str) -> None:
    p50s: list[float] = []
    p95s: list[float] = []
    for _ in range(ctx.reps):
        with fresh_store(store, ctx.workdir) as url:
            found = latency.pickup_latencies(url, ctx.sizes.w4_jobs, ctx.sizes.w4_gap)
        p50, p95 = latency.summarize(found)
        p50s.append(p50)
        p95s.append(p95)
    jobs = f"{ctx.sizes.w4_jobs} jobs one at a time"
    ctx.row(
        "W4",
        f"pickup latency p50 ({jobs})",
        store,
        "ms",
        p50s,
        "<= 5",
        check(median(p50s), at_most=5),
    )
    ctx.row(
        "W4",
        f"pickup latency p95 ({jobs})",
        store,
        "ms",
        p95s,
        "<= 15",
        check(median(p95s), at_most=15),
    )


def w5(ctx: Context) -> Path:
    rows = ctx.sizes.w5_rows
    path = bigstore.seeded_store(rows, ctx.workdir)
    api = [bigstore.api_times(path, ctx.sizes.w5_calls) for _ in range(ctx.reps)]
    status = ctx.repeat(lambda: bigstore.cli_ms(path, STATUS_ARGS, ctx.sizes.w5_cli_runs))
    listing = ctx.repeat(lambda: bigstore.cli_ms(path, LIST_ARGS, ctx.sizes.w5_cli_runs))
    size = f"{rows:,} jobs"
    for key, label, target in (
        ("claim", "claim one job (store call)", 1.0),
        ("status", "status: counts + workers (store calls)", 20.0),
        ("list", "list --state dead --limit 50 (store call)", 20.0),
    ):
        samples = [a[key] for a in api]
        ctx.row(
            "W5",
            f"{size}: {label}",
            "sqlite",
            "ms",
            samples,
            f"<= {target:g}",
            check(median(samples), at_most=target),
        )
    note = "whole process; Python start-up dominates (see W3 baselines)"
    ctx.row("W5", f"{size}: `queuectl status`", "sqlite", "ms", status, note=note)
    ctx.row(
        "W5", f"{size}: `queuectl list --state dead --limit 50`", "sqlite", "ms", listing, note=note
    )
    return path


def c1(ctx: Context, path: Path | None) -> None:
    size = f"{ctx.sizes.w5_rows:,} jobs"
    labels = (
        (f"console first paint, {size}", "s", "<= 1.5", 1.5),
        ("console RSS", "MB", "<= 150", 150.0),
        (f"console idle CPU over {ctx.sizes.c1_idle:g} s", "% of a core", "<= 2", 2.0),
    )
    reason = console.unavailable_reason() or (None if path else "no big store (W5 failed)")
    figures: list[console.ConsoleFigures] = []
    if reason is None and path is not None:
        try:
            figures = [console.measure(path, ctx.sizes.c1_idle) for _ in range(ctx.reps)]
        except Exception as exc:
            log.error("C1 failed:\n%s", traceback.format_exc())
            reason = f"failed: {exc}"[:200]
    for index, (label, unit, target, limit) in enumerate(labels):
        samples = [(f.first_paint_s, f.rss_mb, f.idle_cpu_percent)[index] for f in figures]
        ctx.row(
            "C1",
            label,
            "sqlite",
            unit,
            samples,
            target,
            check(median(samples), at_most=limit),
            "" if figures else f"not available: {reason}",
        )


def w4_floor(ctx: Context) -> None:
    p50s: list[float] = []
    for _ in range(ctx.reps):
        p50, _ = latency.summarize(latency.spawn_floor(ctx.sizes.w4_jobs, ctx.sizes.w4_gap))
        p50s.append(p50)
    ctx.row(
        "W4",
        "floor: spawn `sh -c 'date +%s.%N'` directly -> its date, p50",
        "-",
        "ms",
        p50s,
        note="no queue: the part of W4 that is process start-up",
    )
