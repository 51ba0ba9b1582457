"""W3: enqueue from the command line, timed as whole processes."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from pathlib import Path

from bench.stores import cli_env, queuectl_bin, timed_run


def _timed(argv: list[str], env: dict[str, str]) -> float:
    return timed_run(argv, env)


def _create_store(env: dict[str, str]) -> None:
    """Create and migrate the store outside the timing (a read such as ``status`` creates none)."""
    argv = [*queuectl_bin(), "config", "set", "max_retries", "3"]  # the default: changes nothing
    subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL)


def bulk_rate(url: str, count: int, workdir: Path) -> float:
    """Jobs per second for ``queuectl enqueue --file`` of ``count`` jobs (one whole process)."""
    path = workdir / f"jobs-{count}.jsonl"
    if not path.exists():
        lines = (json.dumps({"command": f"echo {i}", "priority": i % 3}) for i in range(count))
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    env = cli_env(url)
    _create_store(env)
    return count / _timed([*queuectl_bin(), "enqueue", "--file", str(path)], env)


def single_ms(url: str, runs: int) -> float:
    """Median milliseconds of ``runs`` single ``queuectl enqueue '{...}'`` processes."""
    env = cli_env(url)
    _create_store(env)
    times = [
        _timed([*queuectl_bin(), "enqueue", json.dumps({"command": f"echo {i}"})], env)
        for i in range(runs)
    ]
    return statistics.median(times) * 1000


def baseline_ms(which: str, runs: int) -> float:
    """Median milliseconds of ``python -c pass`` or ``queuectl --version``."""
    argv = [sys.executable, "-c", "pass"] if which == "python" else [*queuectl_bin(), "--version"]
    return statistics.median(_timed(argv, cli_env()) for _ in range(runs)) * 1000
