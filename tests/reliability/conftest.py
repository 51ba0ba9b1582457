"""Reliability suite: real processes and signals; every test gets a leak guard and its own store.

Processes the tests start are killed in teardown (whole process groups), and mounts are undone by
the fixtures that made them.
"""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path

import pytest
from helpers import db, no_leaks  # noqa: F401  (fixtures)


def pytest_configure(config: pytest.Config) -> None:
    # To report a failing example Hypothesis imports its patch writer, which warns on import;
    # warnings are errors, so every falsifying example became an INTERNALERROR.
    config.addinivalue_line(
        "filterwarnings", "ignore:mypy_extensions.TypedDict is deprecated:DeprecationWarning"
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture(autouse=True)
def _reliability_guard(
    no_leaks: None,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Keep the per-user default store inside the test's temp dir."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("QUEUECTL_DB", raising=False)
