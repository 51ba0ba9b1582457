"""The schedules pane (``S``): rows from the store, pause/resume, run now and remove through the
request gate (remove asks first, default No), and odd stored rows that must still render."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from textual.widgets import DataTable

from queuectl_core.recurrence import Rule
from queuectl_core.schedule_model import ScheduleSpec
from queuectl_core.store.base import Store
from queuectl_tui.app import QueueApp
from queuectl_tui.factory import make_app
from queuectl_tui.screens.confirm import ConfirmScreen
from queuectl_tui.screens.help import help_table
from queuectl_tui.screens.schedules import SchedulesScreen

from .support import fixed_clock, press, settle


def _cells(app: QueueApp) -> list[list[str]]:
    table = app.screen.query_one("#schedules", DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


async def _seed(store: Store) -> str:
    await store.add_schedule(ScheduleSpec("backup", Rule("0 3 * * *", None), "./backup.sh"))
    await store.add_schedule(ScheduleSpec("ping", Rule(None, 30.0), "echo ping"))
    await store.pause_schedule("backup", True)
    return (await store.run_schedule("ping")).id


async def test_the_pane_lists_schedules(app: QueueApp, store: Store) -> None:
    job_id = await _seed(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "S")
        assert isinstance(app.screen, SchedulesScreen)
        backup, ping = _cells(app)
        assert backup == ["backup", "0 3 * * *", "-", "never", "-", "paused", "At 03:00"]
        assert ping[:3] == ["ping", "every 30s", "in 30s"]
        assert ping[3:] == ["0s ago", f"{job_id} pending", "active", "every 30s"]
        await press(pilot, "escape")
        assert not isinstance(app.screen, SchedulesScreen)


async def test_pause_run_and_remove_go_through_the_gate(app: QueueApp, store: Store) -> None:
    await _seed(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "S", "p")  # resume backup
        backup = await store.get_schedule("backup")
        assert backup is not None and not backup.paused
        await press(pilot, "down", "p")  # pause ping
        ping = await store.get_schedule("ping")
        assert ping is not None and ping.paused
        await press(pilot, "x")  # run ping now, paused or not
        again = await store.get_schedule("ping")
        assert again is not None and again.last_job != ping.last_job
        fired = await store.get_job(again.last_job or "")
        assert fired is not None and fired.schedule == "ping"
        await press(pilot, "D")
        assert isinstance(app.screen, ConfirmScreen)
        await press(pilot, "enter")  # the default is No
        assert isinstance(app.screen, SchedulesScreen)
        assert await store.get_schedule("ping") is not None
        await press(pilot, "D", "y")
        assert await store.get_schedule("ping") is None
        assert [r[0] for r in _cells(app)] == ["backup"]


async def test_a_read_only_console_greys_the_writes_out(seeded: str, store: Store) -> None:
    await _seed(store)
    app = make_app(seeded, clock=fixed_clock, live=False, readonly=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "S", "p", "x", "D")
        assert isinstance(app.screen, SchedulesScreen)
    backup = await store.get_schedule("backup")
    assert backup is not None and backup.paused
    assert len(await store.list_schedules()) == 2


ODD_ROWS = [
    # name, command, queue, priority, max_retries, timeout, env, cwd, cron, every, tz, paused,
    # next_run, last_run, last_job
    (
        "a\x1b[31mred",
        "x",
        "",
        2**63 - 1,
        -1,
        "abc",
        "[1]",
        None,
        "bad cron",
        None,
        "No/Where",
        "yes",
        1e308,
        -1e308,
        "gone",
    ),
    ("b", "\n\x00", "q", -(2**63), None, -5, "{", "", None, -3, "", 0, "soon", 9e99, None),
    (
        "c" * 300,
        "x",
        "q",
        0,
        10**12,
        1e308,
        "{}",
        None,
        "@hourly",
        1e308,
        "UTC",
        0,
        253_402_300_800.0 * 1000,
        float("-inf"),
        "x" * 500,
    ),
    ("d", "x", "q", 0, None, None, "{}", None, None, None, "UTC", 2, 0, None, None),
]


async def test_odd_stored_rows_render_at_80_and_160_columns(seeded: str, store: Store) -> None:
    await _seed(store)
    with sqlite3.connect(Path(seeded)) as db:
        db.executemany(
            "INSERT INTO schedules (name, command, queue, priority, max_retries, timeout, env,"
            " cwd, cron, every, tz, paused, next_run, last_run, last_job, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'never')",
            ODD_ROWS,
        )
    for size in ((80, 24), (160, 50)):
        app = make_app(seeded, clock=fixed_clock, live=False)
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            await press(pilot, "S", "end", "p", "x")
            assert isinstance(app.screen, SchedulesScreen)
            rows = _cells(app)
            assert len(rows) == 6
            assert not any("\x1b" in cell for row in rows for cell in row)


def test_help_lists_the_pane_keys() -> None:
    from rich.console import Console

    console = Console(width=100, record=True)
    console.print(help_table())
    text = console.export_text()
    assert "Schedules" in text and "Pause/resume" in text and "Run now" in text
