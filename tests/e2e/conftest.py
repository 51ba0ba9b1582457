"""End-to-end suite: every test gets a leak guard and an isolated default store location."""

from __future__ import annotations

import pytest
from helpers import db, isolated_home, no_leaks  # noqa: F401  (fixtures)


@pytest.fixture(autouse=True)
def _e2e_guard(no_leaks: None, isolated_home: None) -> None:  # noqa: F811
    """Every test: a leak guard and the default store location inside its temp dir."""
