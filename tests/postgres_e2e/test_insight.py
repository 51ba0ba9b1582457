"""Failure groups, bulk actions by filter and list filters through the real binary (PostgreSQL)."""

from __future__ import annotations

import pytest
from e2e.insight_flow import run_scenario

from .conftest import PgWorkers

pytestmark = pytest.mark.postgres


def test_failures_bulk_actions_and_list_filters(pg_url: str, pg_workers: PgWorkers) -> None:
    def drain() -> None:
        worker = pg_workers(2, "--drain")
        assert worker.wait(60) == 0, worker.output()

    run_scenario(pg_url, drain)
