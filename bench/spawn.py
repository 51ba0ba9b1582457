"""W0, the ceiling: spawn ``/bin/sh -c true`` directly, exactly as the executor does, no queue."""

from __future__ import annotations

import asyncio
import os
import sys
import time

COMMAND = "true"


def install_child_watcher() -> None:
    """Python 3.11 defaults to a thread per child; pidfd watching is ~30% faster to spawn."""
    if sys.version_info >= (3, 12) or not hasattr(os, "pidfd_open"):
        return
    watcher = asyncio.PidfdChildWatcher()
    watcher.attach_loop(asyncio.get_running_loop())
    asyncio.set_child_watcher(watcher)


async def _pump(stream: asyncio.StreamReader | None) -> None:
    if stream is not None:
        while await stream.read(65536):
            pass


async def _one(env: dict[str, str], command: str) -> None:
    # What a shell job needs: pipes, DEVNULL stdin, a new session.
    process = await asyncio.create_subprocess_exec(
        "/bin/sh",
        "-c",
        command,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        start_new_session=True,
        env=env,
    )
    await asyncio.gather(_pump(process.stdout), _pump(process.stderr), process.wait())


async def _spawn_all(count: int, concurrency: int, pidfd: bool, command: str = COMMAND) -> float:
    if pidfd:
        install_child_watcher()
    else:
        watcher = asyncio.ThreadedChildWatcher()  # the 3.11 default
        watcher.attach_loop(asyncio.get_running_loop())
        asyncio.set_child_watcher(watcher)
    env = dict(os.environ)
    remaining = count

    async def lane() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            await _one(env, command)

    start = time.perf_counter()
    await asyncio.gather(*(lane() for _ in range(concurrency)))
    return time.perf_counter() - start


def spawn_rate(count: int, concurrency: int, *, pidfd: bool) -> float:
    """Commands per second spawning ``count`` shells, ``concurrency`` at a time."""
    elapsed = asyncio.run(_spawn_all(count, concurrency, pidfd))
    return count / elapsed


def spawn_wall(count: int, concurrency: int, command: str) -> float:
    """Seconds to run ``count`` copies of ``command`` directly, ``concurrency`` at a time."""
    return asyncio.run(_spawn_all(count, concurrency, True, command))
