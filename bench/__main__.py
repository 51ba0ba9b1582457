"""``python -m bench``: measure queuectl on this machine and write results.md / results.json."""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
import time
from pathlib import Path

from bench import machine, report, suite, workloads
from bench.plan import FULL, QUICK
from bench.stats import Results
from bench.stores import PG_BASE, postgres_available, workdir

log = logging.getLogger("bench")


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="seconds-long smoke run")
    parser.add_argument("--store", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--reps", type=int, default=3, help="repetitions per figure (3)")
    parser.add_argument("--out", type=Path, default=Path("bench/results"), help="output dir")
    parser.add_argument(
        "--only", help="comma-separated workload ids to run (W0,W1,...,C1); default all"
    )
    args = parser.parse_args(argv)
    if args.reps < 1:
        parser.error("--reps must be at least 1")
    return args


def run(args: argparse.Namespace) -> Path:
    stores = ("sqlite", "postgres") if args.store == "both" else (args.store,)
    if "postgres" in stores and not postgres_available():
        log.error("PostgreSQL is not reachable at %s (set QUEUECTL_BENCH_PG)", PG_BASE)
        raise SystemExit(2)
    only = {x.strip().upper() for x in args.only.split(",")} if args.only else None
    scratch = workdir()
    ctx = workloads.Context(QUICK if args.quick else FULL, args.reps, scratch, stores, Results())
    loads: list[float] = [os.getloadavg()[0]]
    began = time.perf_counter()

    def wanted(name: str) -> bool:
        loads.append(os.getloadavg()[0])
        return only is None or name in only

    try:
        suite.run_all(ctx, wanted)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    loads.append(os.getloadavg()[0])
    pg_url = f"{PG_BASE}/postgres" if "postgres" in stores else None
    meta = {
        "mode": "quick" if args.quick else "full",
        "reps": args.reps,
        "stores": list(stores),
        "elapsed_s": time.perf_counter() - began,
        "load_min": min(loads),
        "load_max": max(loads),
    }
    return report.write(args.out, ctx.results, machine.describe(pg_url), meta)


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    logging.getLogger("queuectl").setLevel(logging.WARNING)  # the pools measured in-process
    path = run(parse(argv))
    sys.stdout.write(path.read_text(encoding="utf-8"))


if __name__ == "__main__":
    main()
