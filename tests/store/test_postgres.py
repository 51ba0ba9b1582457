"""PostgreSQL only: unreachable servers, lost connections, the LISTEN connection, the clock."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from queuectl_core.errors import StoreUnavailable
from queuectl_core.models import JobSpec, JobState
from queuectl_core.store import Store
from queuectl_core.store.open import open_store

from .conftest import OpenStore, pg_database_url, require_postgres
from .support import wait_for

pytestmark = pytest.mark.postgres


@pytest.fixture
def backend() -> str:
    return "postgres"


@pytest.fixture
async def admin_conn(store_url: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(store_url)
    yield conn
    await conn.close()


async def _kill_sessions(admin: asyncpg.Connection) -> int:
    """Terminate every other session on this database, as a server restart would."""
    killed = await admin.fetch(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
    )
    return len(killed)


async def test_unreachable_server_is_one_clear_line() -> None:
    with pytest.raises(StoreUnavailable) as caught:
        await open_store("postgresql://postgres@127.0.0.1:1/queuectl")
    message = str(caught.value)
    assert message.startswith("cannot connect to PostgreSQL at 127.0.0.1:1: ")
    assert "\n" not in message


async def test_missing_database_is_one_clear_line() -> None:
    await require_postgres()
    with pytest.raises(StoreUnavailable, match="does not exist") as caught:
        await open_store(pg_database_url("queuectl_no_such_database"))
    assert "\n" not in str(caught.value)


async def test_calls_after_a_dropped_connection_reconnect(
    store: Store, admin_conn: asyncpg.Connection
) -> None:
    await store.enqueue([JobSpec("echo", id="before")])
    assert await _kill_sessions(admin_conn) >= 1
    # Reads retry once on a fresh connection; a write may report the loss, once.
    assert await store.get_job("before") is not None
    try:
        await store.enqueue([JobSpec("echo", id="after")])
    except StoreUnavailable as exc:
        assert str(exc).startswith("lost connection to PostgreSQL at ")
        assert "\n" not in str(exc)
        await store.enqueue([JobSpec("echo", id="after")])
    await _kill_sessions(admin_conn)
    for _ in range(3):  # every pooled connection is dead now; none of them may leak out
        assert (await store.counts())[JobState.PENDING] == 2


async def test_listen_connection_comes_back_by_itself(
    store: Store, open_more: OpenStore, admin_conn: asyncpg.Connection
) -> None:
    heard: list[str] = []
    await store.listen("w1", heard.append)
    await _kill_sessions(admin_conn)
    # Whatever was sent while it was away is lost, so the listener wakes the worker on return.
    await wait_for(lambda: {"work", "control"} <= set(heard), timeout=10)
    heard.clear()
    other = await open_more()
    await other.enqueue([JobSpec("echo")])
    await wait_for(lambda: "work" in heard)


async def test_times_come_from_the_database_clock(
    store: Store, admin_conn: asyncpg.Connection
) -> None:
    server = await admin_conn.fetchval("SELECT extract(epoch from clock_timestamp())::float8")
    assert abs(store.now() - server) < 0.5
    (job,) = await store.enqueue([JobSpec("echo")])
    (claimed,) = await store.claim("w", None, 1, 30)
    after = await admin_conn.fetchval("SELECT extract(epoch from clock_timestamp())::float8")
    assert server <= job.created_at <= claimed.started_at <= after  # type: ignore[operator]
    assert claimed.lease_expires_at == pytest.approx(claimed.started_at + 30)  # type: ignore[operator]


async def test_count_deltas_are_folded(store: Store, admin_conn: asyncpg.Connection) -> None:
    for i in range(1100):
        await store.enqueue([JobSpec(f"echo {i}")])
    assert await admin_conn.fetchval("SELECT count(*) FROM queuectl.state_deltas") >= 1100
    assert (await store.counts())[JobState.PENDING] == 1100
    assert await admin_conn.fetchval("SELECT count(*) FROM queuectl.state_deltas") == 0
    await store.claim("w", None, 10, 30)
    await store.recover()  # workers fold too
    assert await admin_conn.fetchval("SELECT count(*) FROM queuectl.state_deltas") == 0
    counts = await store.counts()
    assert (counts[JobState.PENDING], counts[JobState.PROCESSING]) == (1090, 10)


def _pytest_one_pg_test(**env: str) -> tuple[int, str]:
    args = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", "."]
    args += ["tests/store/test_enqueue.py::test_enqueue_nothing_is_a_no_op[postgres]"]
    full_env = {k: v for k, v in os.environ.items() if k != "CI"} | env
    root = Path(__file__).parents[2]
    done = subprocess.run(args, cwd=root, env=full_env, capture_output=True, text=True, timeout=120)
    return done.returncode, done.stdout + done.stderr


def test_unreachable_test_server_fails_in_ci_and_skips_locally() -> None:
    nowhere = "postgresql://postgres@127.0.0.1:1/postgres"
    code, output = _pytest_one_pg_test(QUEUECTL_TEST_PG=nowhere, CI="1")
    assert code != 0 and "unreachable" in output and "CI requires it" in output
    code, output = _pytest_one_pg_test(QUEUECTL_TEST_PG=nowhere)
    assert code == 0 and "1 skipped" in output
