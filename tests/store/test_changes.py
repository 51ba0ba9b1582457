"""change_token, listen/unlisten and schema versioning: how processes notice each other."""

from __future__ import annotations

import asyncio
import socket
import sqlite3

import asyncpg
import pytest

from queuectl_core.errors import SchemaTooNew
from queuectl_core.models import JobSpec, WorkerInfo
from queuectl_core.store import Store
from queuectl_core.store.open import open_store

from .conftest import OpenStore
from .support import wait_for


async def test_change_token_moves_when_another_connection_commits(
    store: Store, open_more: OpenStore, backend: str
) -> None:
    other = await open_more()
    before = await store.change_token()
    if backend == "sqlite":
        # (On PostgreSQL the token is server-wide: other databases' commits move it too.)
        assert await store.change_token() == before
    await other.enqueue([JobSpec("echo")])
    after = await store.change_token()
    assert after != before
    await other.set_config("max_retries", "1")
    assert await store.change_token() != after


async def test_change_token_moves_after_own_writes(store: Store) -> None:
    before = await store.change_token()
    await store.enqueue([JobSpec("echo")])
    assert await store.change_token() != before


async def test_listen_receives_wake_ups_from_another_store(
    store: Store, open_more: OpenStore
) -> None:
    # SQLite wakes registered workers of this host; PostgreSQL every listener of the database.
    await store.register_worker(WorkerInfo("w1", socket.gethostname(), 1, 1, (), 0, 0))
    heard: list[str] = []
    await store.listen("w1", heard.append)
    other = await open_more()
    await other.enqueue([JobSpec("echo", id="a")])
    await wait_for(lambda: "work" in heard)
    heard.clear()
    await other.request_stop()
    await wait_for(lambda: "control" in heard)
    heard.clear()
    await other.claim("w2", None, 1, 30)
    await other.cancel(["a"])
    await wait_for(lambda: "control" in heard)
    await store.unlisten()
    await store.unlisten()  # idempotent


async def test_many_processes_opening_a_new_store_at_once(store_url: str) -> None:
    stores = await asyncio.gather(*(open_store(store_url) for _ in range(8)))
    try:
        await stores[0].enqueue([JobSpec("echo", id="one")])
        for s in stores:
            assert await s.get_job("one") is not None
    finally:
        await asyncio.gather(*(s.close() for s in stores))


async def test_a_newer_schema_is_refused(store_url: str, backend: str) -> None:
    first = await open_store(store_url)
    await first.close()
    if backend == "sqlite":
        with sqlite3.connect(store_url) as conn:
            conn.execute("PRAGMA user_version = 999")
    else:
        conn = await asyncpg.connect(store_url)
        await conn.execute("UPDATE queuectl.schema_version SET version = 999")
        await conn.close()
    with pytest.raises(SchemaTooNew, match="999 is newer"):
        await open_store(store_url)
