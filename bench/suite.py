"""The order of a run: the spawn ceiling, each store's workloads, then the big store."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from pathlib import Path

from bench import peers, workloads
from bench.workloads import Context

log = logging.getLogger("bench")
PER_STORE: tuple[tuple[str, Callable[[Context, str], None]], ...] = (
    ("W1", workloads.w1),
    ("W2", workloads.w2),
    ("W3", workloads.w3),
    ("W4", workloads.w4),
)
NO_STORE: tuple[tuple[str, Callable[[Context], None]], ...] = (
    ("W2", workloads.w2_floor),
    ("W3", workloads.w3_baselines),
    ("W4", workloads.w4_floor),
)


def run_all(ctx: Context, wanted: Callable[[str], bool]) -> None:
    """Run every wanted workload; a failing one leaves a row saying why."""
    if wanted("W0"):
        workloads.w0(ctx)
    for store in ctx.stores:
        for name, step in PER_STORE:
            if wanted(name):
                measure = functools.partial(step, ctx, store)
                workloads.guarded(ctx, name, "(all rows)", store, "", "-", measure)
    if "sqlite" in ctx.stores and wanted("W1"):
        workloads.guarded(ctx, "W1", "huey peer", "sqlite", "", "-", lambda: peers.w1_huey(ctx))
    for name, other in NO_STORE:
        if wanted(name):
            other(ctx)
    if "sqlite" in ctx.stores and (wanted("W5") or wanted("C1")):
        _big_store(ctx, wanted)


def _big_store(ctx: Context, wanted: Callable[[str], bool]) -> None:
    """W5 builds the million-job store; C1 measures the console on it."""
    big: Path | None = None
    try:
        big = workloads.w5(ctx)
    except Exception as exc:
        log.exception("W5 failed")
        ctx.row("W5", "(all rows)", "sqlite", "", [], note=f"failed: {exc}"[:200])
    if wanted("C1"):
        workloads.c1(ctx, big)
