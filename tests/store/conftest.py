"""The Store conformance suite: every test runs once per backend, each on a fresh database.

SQLite: a file in the test's temp dir. PostgreSQL: a uniquely named database created on the server
at ``QUEUECTL_TEST_PG`` (default ``postgresql://postgres@127.0.0.1:5432/postgres``) and dropped
afterwards. If that server cannot be reached the PostgreSQL tests fail when ``CI`` is set, and
skip (saying why) otherwise.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from queuectl_core.store import Store
from queuectl_core.store.open import open_store

from .support import Clock

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"
BACKENDS = [pytest.param("sqlite"), pytest.param("postgres", marks=pytest.mark.postgres)]
_reachable: dict[str, str | None] = {}


def pg_server() -> str:
    return os.environ.get("QUEUECTL_TEST_PG", DEFAULT_PG)


def pg_database_url(name: str) -> str:
    parts = urlsplit(pg_server())
    return urlunsplit(parts._replace(path=f"/{name}"))


async def _probe(url: str) -> str | None:
    try:
        conn = await asyncpg.connect(url, timeout=5)
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        return f"{type(exc).__name__}: {exc}"
    await conn.close()
    return None


async def require_postgres() -> None:
    """Fail (CI) or skip (locally) unless the test server answers."""
    url = pg_server()
    if url not in _reachable:
        _reachable[url] = await _probe(url)
    problem = _reachable[url]
    if problem is None:
        return
    message = f"PostgreSQL test server {url} unreachable ({problem})"
    if os.environ.get("CI"):
        pytest.fail(message + "; CI requires it")
    pytest.skip(message + "; set QUEUECTL_TEST_PG or start the server")


async def admin(sql: str) -> None:
    conn = await asyncpg.connect(pg_server(), timeout=10)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def store_url(backend: str, tmp_path: Path) -> AsyncIterator[str]:
    """The URL of a fresh, empty store of the backend under test."""
    if backend == "sqlite":
        yield str(tmp_path / "queue.db")
        return
    await require_postgres()
    name = f"queuectl_test_{uuid.uuid4().hex[:12]}"
    await admin(f'CREATE DATABASE "{name}"')
    try:
        yield pg_database_url(name)
    finally:
        await admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


OpenStore = Callable[..., Awaitable[Store]]


@pytest.fixture
async def open_more(store_url: str) -> AsyncIterator[OpenStore]:
    """Open further stores on the same database (other processes, as far as the store knows)."""
    opened: list[Store] = []

    async def opener(clock: Callable[[], float] | None = None) -> Store:
        store = await open_store(store_url, clock=clock)
        opened.append(store)
        return store

    yield opener
    await asyncio.gather(*(s.close() for s in opened))


@pytest.fixture
async def store(open_more: OpenStore) -> Store:
    """A store on the database clock (real time)."""
    return await open_more()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def clocked(open_more: OpenStore, clock: Clock) -> Store:
    """A store whose time is ``clock``: tests move time instead of sleeping."""
    return await open_more(clock)
