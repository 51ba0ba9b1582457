"""PostgreSQL only: a transaction aborted as a deadlock victim is run again, not reported.

Dependency triggers lock dependents' rows in finish order, so two workers' batches can cross;
PostgreSQL then aborts one of them whole, and the store runs it again.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from queuectl_core.models import JobSpec
from queuectl_core.store import Store
from queuectl_core.store.postgres import PostgresStore

pytestmark = pytest.mark.postgres


@pytest.fixture
def backend() -> str:
    return "postgres"


async def test_a_deadlock_victim_runs_again(store: Store, open_more: Any) -> None:
    await store.enqueue([JobSpec("a", id="a"), JobSpec("b", id="b")])
    other = await open_more()
    assert isinstance(store, PostgresStore) and isinstance(other, PostgresStore)
    both_locked = asyncio.Barrier(2)
    tries = {"ab": 0, "ba": 0}

    def crossing(name: str, first: str, second: str) -> Any:
        async def fn(conn: Any) -> str:
            tries[name] += 1
            await conn.execute("UPDATE jobs SET priority = priority + 1 WHERE id = $1", first)
            if tries[name] == 1:
                await both_locked.wait()
            await conn.execute("UPDATE jobs SET priority = priority + 1 WHERE id = $1", second)
            return name

        return fn

    done = await asyncio.wait_for(
        asyncio.gather(store._run(crossing("ab", "a", "b")), other._run(crossing("ba", "b", "a"))),
        30,
    )
    assert sorted(done) == ["ab", "ba"]
    assert sorted(tries.values()) == [1, 2]  # the victim ran twice, and only its second counted
    jobs = {job.id: job.priority for job in await store.list_jobs()}
    assert jobs == {"a": 2, "b": 2}
