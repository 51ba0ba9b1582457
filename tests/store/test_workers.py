"""Worker registry, stop requests and config: shared state between processes."""

from __future__ import annotations

from dataclasses import replace

import pytest

from queuectl_core.config import Config
from queuectl_core.errors import InvalidInput
from queuectl_core.models import WorkerInfo
from queuectl_core.store import Store

from .conftest import OpenStore
from .support import Clock


def _info(worker_id: str, queues: tuple[str, ...] = ()) -> WorkerInfo:
    return WorkerInfo(worker_id, "host-a", 4242, 3, queues, 0.0, 0.0)


async def test_register_list_and_deregister(clocked: Store, clock: Clock) -> None:
    await clocked.register_worker(_info("w1", ("mail", "video")))
    clock.advance(1)
    await clocked.register_worker(_info("w2"))
    w1, w2 = await clocked.list_workers()
    assert (w1.id, w1.host, w1.pid, w1.slots, w1.queues) == (
        "w1",
        "host-a",
        4242,
        3,
        ("mail", "video"),
    )
    assert (w1.started_at, w1.heartbeat_at, w1.current_jobs, w1.stop_requested) == (
        clock() - 1,
        clock() - 1,
        (),
        False,
    )
    assert w2.id == "w2" and w2.queues == ()
    await clocked.deregister_worker("w1")
    assert [w.id for w in await clocked.list_workers()] == ["w2"]


async def test_silent_workers_are_stale_and_eventually_dropped(
    clocked: Store, clock: Clock
) -> None:
    await clocked.register_worker(_info("quiet"))
    await clocked.register_worker(_info("busy"))
    clock.advance(25)
    await clocked.heartbeat("busy", [], 30)
    clock.advance(10)
    assert [w.id for w in await clocked.list_workers()] == ["busy"]
    assert {w.id for w in await clocked.list_workers(include_stale=True)} == {"quiet", "busy"}
    clock.advance(300)
    await clocked.heartbeat("busy", [], 30)
    await clocked.recover()  # drops rows silent for 10 x lease_timeout
    assert [w.id for w in await clocked.list_workers(include_stale=True)] == ["busy"]


async def test_request_stop_reaches_live_workers_through_heartbeat(
    clocked: Store, clock: Clock
) -> None:
    assert await clocked.request_stop() == 0
    await clocked.register_worker(_info("w1"))
    await clocked.register_worker(_info("w2"))
    clock.advance(31)
    await clocked.heartbeat("w1", [], 30)  # w2 is stale: not asked
    assert await clocked.request_stop() == 1
    assert (await clocked.heartbeat("w1", [], 30)).stop_requested
    (live,) = await clocked.list_workers()
    assert live.stop_requested
    # Registering the same id again (a resize) updates slots but keeps the stop request and the
    # start time; a restarted process registers under a new id.
    started = live.started_at
    await clocked.register_worker(replace(_info("w1"), slots=7))
    assert (await clocked.heartbeat("w1", [], 30)).stop_requested
    (again,) = await clocked.list_workers()
    assert (again.slots, again.started_at) == (7, started)


async def test_config_defaults_set_and_persist(store: Store, open_more: OpenStore) -> None:
    assert await store.get_config() == Config()
    updated = await store.set_config("max-retries", "5")
    assert updated.max_retries == 5
    await store.set_config("backoff_base", "1.5")
    other = await open_more()
    config = await other.get_config()
    assert (config.max_retries, config.backoff_base) == (5, 1.5)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("nope", "1", "unknown config key"),
        ("max_retries", "-1", "max_retries must be >= 0"),
        ("max_retries", "1.5", "whole number"),
        ("backoff_base", "abc", "must be a number"),
        ("backoff_max", "nan", "finite"),
        ("heartbeat_interval", "30", "lease_timeout must be greater than heartbeat_interval"),
    ],
)
async def test_config_validation(store: Store, key: str, value: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        await store.set_config(key, value)
    assert await store.get_config() == Config()


async def test_max_retries_is_frozen_at_enqueue(store: Store) -> None:
    from queuectl_core.models import JobSpec

    (before,) = await store.enqueue([JobSpec("echo")])
    await store.set_config("max_retries", "0")
    (after,) = await store.enqueue([JobSpec("echo")])
    assert (before.max_retries, after.max_retries) == (3, 0)
    assert (await store.get_job(before.id)).max_retries == 3  # type: ignore[union-attr]
