"""Fresh stores for each measurement: a temp SQLite file, or a new PostgreSQL database."""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

PG_BASE = os.environ.get("QUEUECTL_BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
PYCACHE = os.environ.get("QUEUECTL_BENCH_PYCACHE", "/tmp/qbench-cache/pycache")
_counter = itertools.count()


def queuectl_bin(name: str = "queuectl") -> list[str]:
    """The installed console script beside this Python (not a pyenv shim, which adds ~30 ms)."""
    beside = Path(sys.executable).parent / name
    if beside.is_file() and os.access(beside, os.X_OK):
        return [str(beside)]
    found = shutil.which(name)
    if found:
        return [found]
    module = "queuectl_core.cli.main" if name == "queuectl" else "queuectl_tui.app"
    return [sys.executable, "-m", module]


def cli_env(url: str | None = None) -> dict[str, str]:
    """Environment for ``queuectl`` subprocesses, with bytecode caching on.

    A deployed install has compiled bytecode; without it (``PYTHONDONTWRITEBYTECODE``) every
    process recompiles queuectl from source and startup doubles. The cache goes under /tmp, so
    the checkout is not touched.
    """
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = PYCACHE
    if url is not None:
        env["QUEUECTL_DB"] = url
    return env


def timed_run(
    argv: list[str], env: dict[str, str], limit: float = 300, stderr: int | None = None
) -> float:
    """Seconds ``argv`` ran, to its exit, checked; killed after ``limit`` seconds.

    Not ``subprocess.run(..., timeout=...)``: with a timeout, ``Popen.wait`` polls with sleeps
    of up to 50 ms, so every measured process seemed to last a multiple of them (a 70 ms
    ``queuectl enqueue`` read as 114 ms). A plain ``wait`` blocks in ``waitpid`` and returns at
    the exit; a timer thread enforces the limit.
    """
    start = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
    timer = threading.Timer(limit, proc.kill)
    timer.start()
    try:
        code = proc.wait()
    finally:
        timer.cancel()
    elapsed = time.perf_counter() - start
    if code != 0:
        raise subprocess.CalledProcessError(code, argv)
    return elapsed


def postgres_available() -> bool:
    try:
        subprocess.run(
            ["psql", f"{PG_BASE}/postgres", "-Atc", "SELECT 1"],
            capture_output=True,
            timeout=10,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return True


def _psql(sql: str) -> None:
    subprocess.run(
        ["psql", f"{PG_BASE}/postgres", "-qAtc", sql], capture_output=True, timeout=60, check=True
    )


@contextlib.contextmanager
def fresh_store(kind: str, workdir: Path) -> Iterator[str]:
    """Yield the URL of an empty store of ``kind`` (sqlite|postgres), removed afterwards."""
    number = next(_counter)
    if kind == "sqlite":
        path = workdir / f"bench-{number}.db"
        try:
            yield str(path)
        finally:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    name = f"qbench_{os.getpid()}_{number}"
    _psql(f"CREATE DATABASE {name}")
    try:
        yield f"{PG_BASE}/{name}"
    finally:
        _psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def workdir() -> Path:
    """A scratch directory under /tmp for this run."""
    return Path(tempfile.mkdtemp(prefix="qbench-"))
