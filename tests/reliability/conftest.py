"""Reliability suite: real processes and signals; every test gets a leak guard and its own store.

Processes the tests start are killed in teardown (whole process groups), and mounts are undone by
the fixtures that made them.
"""

from __future__ import annotations

import pytest
from helpers import db, isolated_home, no_leaks  # noqa: F401  (fixtures)


def pytest_configure(config: pytest.Config) -> None:
    # To report a failing example Hypothesis imports its patch writer, which warns on import;
    # warnings are errors, so every falsifying example became an INTERNALERROR.
    config.addinivalue_line(
        "filterwarnings", "ignore:mypy_extensions.TypedDict is deprecated:DeprecationWarning"
    )


@pytest.fixture(autouse=True)
def _reliability_guard(no_leaks: None, isolated_home: None) -> None:  # noqa: F811
    """Every test: a leak guard and the default store location inside its temp dir."""
