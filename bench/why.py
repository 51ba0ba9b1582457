"""How fast ``queuectl why`` answers on the million-job store (issue 12's closing figure).

    python -m bench.why [--jobs 1000000] [--runs 5]

The seeded store (``bench.bigstore``) has 12% pending jobs spread over two queues and 3% of the
jobs processing on a registered worker, so a pending job near the end of its queue has the
capped 10,000 jobs ahead of it: the slowest ``why`` there is.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
from pathlib import Path

from bench.bigstore import cli_ms, seeded_store
from bench.stores import cli_env, queuectl_bin


def _seed_id(i: int) -> str:
    return f"seed-{i:07d}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    last = args.jobs - args.jobs % 100
    cases = [
        ("pending, last in its queue", _seed_id(last - 100 + 71)),
        ("pending, first in its queue", _seed_id(71)),
        ("processing", _seed_id(last - 100 + 99)),
        ("completed", _seed_id(last - 100 + 1)),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        path = seeded_store(args.jobs, Path(tmp))
        print(f"store: {args.jobs:,} jobs")
        for label, job_id in cases:
            answer = json.loads(
                subprocess.run(
                    [*queuectl_bin(), "why", job_id, "--json"],
                    env=cli_env(str(path)),
                    capture_output=True,
                    check=True,
                    timeout=60,
                ).stdout
            )
            codes = ",".join(r["code"] for r in answer["reasons"])
            took = cli_ms(path, ["why", job_id], args.runs)
            print(f"why ({label:28s}) {took:7.0f} ms  [{answer['state']}: {codes}]")
        took = cli_ms(path, ["--version"], args.runs)
        print(f"{'--version (reference)':34s} {took:7.0f} ms")


if __name__ == "__main__":
    main()
