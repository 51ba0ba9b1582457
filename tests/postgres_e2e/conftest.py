"""End to end on PostgreSQL: real ``queuectl`` processes against a fresh database per test.

Workers can run as separate "hosts": each in its own UTS namespace (``unshare --uts``) with its
own hostname, so worker ids, the workers pane and same-host shortcuts behave as on a fleet.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from helpers import _WORKERS, QUEUECTL, WorkerProcess, cli_env, no_leaks  # noqa: F401
from store.conftest import admin, pg_database_url, require_postgres

PgWorkers = Callable[..., WorkerProcess]


@pytest.fixture
def pg_url(no_leaks: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:  # noqa: F811
    """A fresh database, exported as ``QUEUECTL_DB``; dropped after the test."""
    asyncio.run(require_postgres())
    name = f"queuectl_e2e_{uuid.uuid4().hex[:12]}"
    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    url = pg_database_url(name)
    monkeypatch.setenv("QUEUECTL_DB", url)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    try:
        yield url
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def pg_workers(pg_url: str, tmp_path: Path) -> PgWorkers:
    """Start ``queuectl worker start --count N`` as host ``host`` (a new UTS namespace)."""

    def start(count: int, *extra: str, host: str | None = None) -> WorkerProcess:
        log = tmp_path / f"worker-{host or 'local'}-{uuid.uuid4().hex[:6]}.log"
        command = [*QUEUECTL, "worker", "start", "--count", str(count), *extra]
        if host is not None:
            command = ["unshare", "--uts", "sh", "-c", 'hostname "$0" && exec "$@"', host, *command]
        with log.open("wb") as out:
            proc = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=cli_env(pg_url),
                cwd=tmp_path,
                start_new_session=True,
            )
        worker = WorkerProcess(proc, log)
        _WORKERS.append(worker)  # the leak guard kills it (and its group) at teardown
        return worker

    return start


def restart_postgres() -> None:
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"],
        check=True,
        capture_output=True,
        timeout=120,
    )
