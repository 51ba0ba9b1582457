"""W1 against the best peer, huey, paired per repetition in the same run."""

from __future__ import annotations

import importlib.util
import statistics
from typing import TYPE_CHECKING

from bench import throughput
from bench.plan import SLOTS_W1
from bench.stats import check
from bench.stores import fresh_store

if TYPE_CHECKING:
    from bench.workloads import Context

W1_PEER_TARGET = 1.5


def w1_huey(ctx: Context) -> None:
    """Each repetition runs queuectl's whole ``worker start --drain`` process and then huey's
    consumer on the same jobs; the ratio of the pair is reported per repetition."""
    if importlib.util.find_spec("huey") is None:
        ctx.row("W1", "huey peer", "sqlite", "", [], note="huey not installed (the bench extra)")
        return
    from bench import huey_peer  # imports huey, which only the bench extra installs

    n = ctx.sizes.w1_jobs
    ours, theirs, ratios = [], [], []
    for rep in range(ctx.reps):
        with fresh_store("sqlite", ctx.workdir) as url:
            ours.append(n / throughput.drain_cli(url, n, "true", SLOTS_W1))
        theirs.append(n / huey_peer.drain(ctx.workdir / f"huey-{rep}.db", n, "true", SLOTS_W1))
        ratios.append(ours[-1] / theirs[-1])
    ctx.row("W1", f"{n} `true` jobs, queuectl CLI (paired with huey)", "sqlite", "jobs/s", ours)
    ctx.row(
        "W1",
        f"{n} `true` tasks, huey {huey_peer.version()} SQLite, 4 process workers",
        "sqlite",
        "jobs/s",
        theirs,
        note="consumer start to last result read back; each task runs sh -c with pipes",
    )
    ctx.row(
        "W1",
        "ratio queuectl CLI / huey (paired per repetition)",
        "sqlite",
        "ratio",
        ratios,
        f">= {W1_PEER_TARGET:.1f}",
        check(statistics.median(ratios), at_least=W1_PEER_TARGET),
    )
