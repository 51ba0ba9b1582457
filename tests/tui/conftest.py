"""Console tests: a store seeded by the demo seeder with fixed ids, at a fixed clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from queuectl_core.store.base import Store
from queuectl_core.store.open import open_store
from queuectl_tui.app import QueueApp
from queuectl_tui.factory import make_app

from .support import fixed_clock, seed_store


@pytest.fixture
def seeded(tmp_path: Path) -> str:
    return seed_store(tmp_path / "queue.db")


@pytest.fixture
def app(seeded: str) -> QueueApp:
    return make_app(seeded, clock=fixed_clock, live=False)


@pytest.fixture
async def store(seeded: str) -> AsyncIterator[Store]:
    """A second connection, as another process would have, for setup and assertions."""
    opened = await open_store(seeded, clock=fixed_clock)
    yield opened
    await opened.close()
