"""``queuectl-tui --serve`` tests: a real server process, a real store, a real headless Chromium.

Without ``chromium`` the browser tests skip on a developer's machine and fail in CI (``CI=true``),
where ``.ci/run`` installs it.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
from helpers import cli_env, db, isolated_home, no_leaks  # noqa: F401  (fixtures)

from .cdp import Chromium, chromium_binary
from .support import Served, start_server


@pytest.fixture
def serve(db: Path, tmp_path: Path) -> Iterator[Callable[..., Served]]:  # noqa: F811
    """Start ``queuectl-tui --serve --port 0 ARGS`` on the test's store; stopped at teardown."""
    started: list[Served] = []

    def start(*args: str, env: dict[str, str] | None = None) -> Served:
        served = start_server(
            ["--serve", "--port", "0", *args], env or cli_env(db), tmp_path / "logs"
        )
        started.append(served)
        served.wait_for_url(30)
        return served

    yield start
    for served in started:
        code = served.stop()
        assert code == 0, f"server exited {code}; {served.output()}"


@pytest.fixture(autouse=True)
def _guard(no_leaks: None, isolated_home: None) -> None:  # noqa: F811
    """Every test: no process outlives it, and the default store stays in its temp dir."""


@pytest.fixture
async def chromium() -> AsyncIterator[Chromium]:
    """A headless Chromium: skipped where it is not installed, except in CI where that fails."""
    if chromium_binary() is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is not installed (.ci/run installs it with apt)")
        pytest.skip("needs chromium (apt-get install chromium)")
    async with Chromium() as browser:
        yield browser
