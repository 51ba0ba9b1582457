"""Property tests: the Store state machine (store_machine.py) against SQLite and PostgreSQL.

PostgreSQL runs on a fresh database per example at ``QUEUECTL_TEST_PG`` (as tests/store does);
unreachable, it fails under ``CI`` and skips otherwise.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test

from .store_machine import StoreMachine

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"
Cleanup = Callable[[], Awaitable[None]]


def _settings(examples: int, steps: int) -> settings:
    return settings(
        max_examples=examples,
        stateful_step_count=steps,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )


async def sqlite_url() -> tuple[str, Cleanup]:
    folder = tempfile.mkdtemp(prefix="queuectl-prop-")

    async def cleanup() -> None:
        shutil.rmtree(folder, ignore_errors=True)

    return str(Path(folder) / "q.db"), cleanup


def pg_server() -> str:
    return os.environ.get("QUEUECTL_TEST_PG", DEFAULT_PG)


async def _admin(sql: str) -> None:
    conn = await asyncpg.connect(pg_server(), timeout=10)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def postgres_url() -> tuple[str, Cleanup]:
    name = f"queuectl_prop_{uuid.uuid4().hex[:12]}"
    await _admin(f'CREATE DATABASE "{name}"')

    async def cleanup() -> None:
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return urlunsplit(urlsplit(pg_server())._replace(path=f"/{name}")), cleanup


class SqliteMachine(StoreMachine):
    make_url = staticmethod(sqlite_url)


class PostgresMachine(StoreMachine):
    make_url = staticmethod(postgres_url)


def test_store_state_machine_sqlite() -> None:
    run_state_machine_as_test(SqliteMachine, settings=_settings(100, 50))  # type: ignore[no-untyped-call]


def require_postgres() -> None:
    """Fail (CI) or skip (locally) unless the PostgreSQL test server answers."""

    async def probe() -> str | None:
        try:
            conn = await asyncpg.connect(pg_server(), timeout=5)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            return f"{type(exc).__name__}: {exc}"
        await conn.close()
        return None

    problem = asyncio.run(probe())
    if problem is None:
        return
    message = f"PostgreSQL test server {pg_server()} unreachable ({problem})"
    if os.environ.get("CI"):
        pytest.fail(message + "; CI requires it")
    pytest.skip(message)


@pytest.mark.postgres
def test_store_state_machine_postgres() -> None:
    require_postgres()
    run_state_machine_as_test(PostgresMachine, settings=_settings(30, 40))  # type: ignore[no-untyped-call]
