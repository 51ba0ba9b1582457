"""Sizes of each workload: the full run (issue 5) and the seconds-long ``--quick`` smoke."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Sizes:
    spawns: int  # W0 commands per concurrency level
    w1_jobs: int
    w2_jobs: int
    w3_bulk: int
    w3_single_runs: int
    w4_jobs: int
    w4_gap: float
    w5_rows: int
    w5_calls: int
    w5_cli_runs: int
    c1_idle: float


FULL = Sizes(
    spawns=2000,
    w1_jobs=2000,
    w2_jobs=400,
    w3_bulk=50_000,
    w3_single_runs=30,
    w4_jobs=60,
    w4_gap=0.1,
    w5_rows=1_000_000,
    w5_calls=30,
    w5_cli_runs=7,
    c1_idle=30.0,
)

QUICK = Sizes(
    spawns=40,
    w1_jobs=60,
    w2_jobs=16,
    w3_bulk=500,
    w3_single_runs=2,
    w4_jobs=5,
    w4_gap=0.05,
    w5_rows=20_000,
    w5_calls=3,
    w5_cli_runs=1,
    c1_idle=1.0,
)

SLOTS_W1 = 4
SLOTS_W2 = 8
SLEEP_W2 = 0.05
CONCURRENCY = (1, 2, 4, 8)
