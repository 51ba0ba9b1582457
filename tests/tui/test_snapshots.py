"""Snapshot tests of the main screens (fixed clock and ids). Review the report before updating."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from textual.pilot import Pilot

from queuectl_core.recurrence import Rule
from queuectl_core.schedule_model import ScheduleSpec
from queuectl_core.store.open import open_store
from queuectl_tui.factory import make_app
from queuectl_tui.widgets.job_table import JobTable

from .support import before, fixed_clock, settle

Snap = Callable[..., bool]


def console(seeded: str):  # type: ignore[no-untyped-def]
    return make_app(seeded, clock=fixed_clock, live=False)


def test_main_busy_120x36(snap_compare: Snap, seeded: str) -> None:
    assert snap_compare(console(seeded), terminal_size=(120, 36), run_before=before())


def test_main_busy_80x24(snap_compare: Snap, seeded: str) -> None:
    assert snap_compare(console(seeded), terminal_size=(80, 24), run_before=before())


def test_dlq_with_retry_all_confirm(snap_compare: Snap, seeded: str) -> None:
    assert snap_compare(console(seeded), terminal_size=(100, 30), run_before=before("6", "R"))


def test_job_detail_with_logs(snap_compare: Snap, seeded: str) -> None:
    async def run(pilot: Pilot[None]) -> None:
        await settle(pilot)
        table = pilot.app.screen.query_one(JobTable)
        table.move_cursor(row=table.get_row_index("sync-001"))
        await before("enter", "s")(pilot)

    assert snap_compare(console(seeded), terminal_size=(120, 36), run_before=run)


def test_job_detail_following_at_80x24(snap_compare: Snap, seeded: str) -> None:
    async def run(pilot: Pilot[None]) -> None:
        await settle(pilot)
        table = pilot.app.screen.query_one(JobTable)
        table.move_cursor(row=table.get_row_index("reindex-01"))
        await before("f")(pilot)

    assert snap_compare(console(seeded), terminal_size=(80, 24), run_before=run)


def test_config_editor(snap_compare: Snap, seeded: str) -> None:
    assert snap_compare(console(seeded), terminal_size=(120, 36), run_before=before("e"))


def test_workers_pane(snap_compare: Snap, seeded: str) -> None:
    assert snap_compare(console(seeded), terminal_size=(120, 36), run_before=before("w"))


def test_help(snap_compare: Snap, seeded: str) -> None:
    assert snap_compare(console(seeded), terminal_size=(100, 40), run_before=before("?"))


def test_processes_pane_80x24(snap_compare: Snap, seeded: str) -> None:
    assert snap_compare(console(seeded), terminal_size=(80, 24), run_before=before("t"))


def test_signal_picker_120x36(snap_compare: Snap, seeded: str) -> None:
    assert snap_compare(console(seeded), terminal_size=(120, 36), run_before=before("t", "k"))


def _steer(seeded: str) -> str:
    """The seeded store plus a paused queue, a limited one and two schedules (fixed clock)."""

    async def steer() -> None:
        store = await open_store(seeded, clock=fixed_clock)
        try:
            await store.set_paused(["reports"], True)
            await store.set_concurrency("etl", 1)
            for name, rule in (
                ("nightly-backup", Rule("0 2 * * *", None)),
                ("feed-refresh", Rule(None, 300.0)),
            ):
                await store.add_schedule(ScheduleSpec(name, rule, f"./{name}.sh"))
            await store.pause_schedule("feed-refresh", True)
        finally:
            await store.close()

    asyncio.run(steer())
    return seeded


def test_queues_pane_80x24(snap_compare: Snap, seeded: str) -> None:
    app = console(_steer(seeded))
    assert snap_compare(app, terminal_size=(80, 24), run_before=before("Q"))


def test_schedules_pane_100x30(snap_compare: Snap, seeded: str) -> None:
    app = console(_steer(seeded))
    assert snap_compare(app, terminal_size=(100, 30), run_before=before("S"))


def test_failures_view_80x24(snap_compare: Snap, seeded: str) -> None:
    assert snap_compare(console(seeded), terminal_size=(80, 24), run_before=before("F"))
