"""Helpers for the console tests (fixtures live in conftest.py)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from textual.pilot import Pilot

from queuectl_core.store.open import open_store
from queuectl_tui.app import QueueApp
from queuectl_tui.demo import Clock, seed

NOW = 1_750_000_000.0  # 2025-06-15T15:06:40Z


def as_if_last_read_was_slow(screen: object, deadline: str) -> None:
    """Hold ``screen``'s slow-read throttle (its ``deadline`` attribute) an hour ahead, as after
    a read that took minutes: only a refresh asked for may read past it."""
    setattr(screen, deadline, time.monotonic() + 3600)


def fixed_clock() -> float:
    return NOW


def seed_store(path: Path) -> str:
    """Seed a fresh store at ``path`` (synchronously: snapshot tests are not async)."""

    async def run() -> None:
        clock = Clock(NOW)
        store = await open_store(str(path), clock=clock)
        try:
            await seed(store, clock, NOW)
        finally:
            await store.close()

    asyncio.run(run())
    return str(path)


async def settle(pilot: Pilot[None]) -> None:
    """Wait for the store to open and every worker (loads, writes) to finish."""
    app = pilot.app
    assert isinstance(app, QueueApp)
    await asyncio.wait_for(app.ready.wait(), 10)
    for _ in range(3):
        await app.workers.wait_for_complete()
        await pilot.pause()


async def press(pilot: Pilot[None], *keys: str) -> None:
    """Press keys one at a time, letting each one's work finish."""
    for key in keys:
        await pilot.press(key)
        await settle(pilot)


def before(*keys: str) -> Callable[[Pilot[None]], Awaitable[None]]:
    """A snapshot ``run_before``: settle, press ``keys``, settle."""

    async def run(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await press(pilot, *keys)

    return run
