"""Dependencies and unique keys through the real binary and real workers, on PostgreSQL (the
cases are the SQLite ones in tests/e2e/test_dependencies.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from e2e.test_dependencies import (
    bulk_file_names_earlier_lines,
    concurrent_unique_key,
    dead_dependency_cancels,
    diamond,
    unknown_dependency_writes_nothing,
)

from .conftest import PgWorkers

pytestmark = pytest.mark.postgres


def test_diamond_runs_in_order(pg_url: str, pg_workers: PgWorkers, tmp_path: Path) -> None:
    diamond(pg_url, pg_workers, tmp_path)


def test_dead_dependency_cancels_its_dependents(pg_url: str, pg_workers: PgWorkers) -> None:
    dead_dependency_cancels(pg_url, pg_workers)


def test_concurrent_enqueues_of_one_unique_key_make_one_job(pg_url: str) -> None:
    concurrent_unique_key(pg_url)


def test_bulk_file_names_earlier_lines(pg_url: str, pg_workers: PgWorkers, tmp_path: Path) -> None:
    bulk_file_names_earlier_lines(pg_url, pg_workers, tmp_path)


def test_unknown_dependency_writes_nothing(pg_url: str) -> None:
    unknown_dependency_writes_nothing(pg_url)
