"""An idle console repaints only what changed: relative times move in coarse steps, and a changed
cell repaints that cell, not the whole table."""

from __future__ import annotations

from rich.text import Text
from textual.geometry import Region
from textual.widgets import DataTable, Static

from queuectl_core.present import relative
from queuectl_tui.app import QueueApp
from queuectl_tui.factory import make_app
from queuectl_tui.screens.detail import DetailScreen
from queuectl_tui.screens.workers import WorkersScreen
from queuectl_tui.widgets.job_table import JobTable

from .support import NOW, press, settle


def test_relative_times_move_in_ten_second_steps_under_a_minute() -> None:
    assert [relative(NOW - s, NOW) for s in (3, 9.9, 10, 19, 54, 59.9, 60)] == [
        "3s ago",
        "9s ago",
        "10s ago",
        "10s ago",
        "50s ago",
        "50s ago",
        "1m ago",
    ]
    # Countdowns round up, so "in 50s" never promises more than it keeps.
    assert [relative(NOW + s, NOW) for s in (3, 14, 45, 59)] == [
        "in 3s",
        "in 20s",
        "in 50s",
        "in 1m",
    ]


async def test_an_idle_tick_repaints_only_the_cells_whose_text_changed(seeded: str) -> None:
    now = [NOW]
    app = make_app(seeded, clock=lambda: now[0], live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        grid = app.screen.query_one(JobTable)
        before = {
            str(row.key.value): grid.get_cell(row.key, "when").plain for row in grid.ordered_rows
        }
        repaints: list[tuple[Region, ...]] = []
        real = grid.refresh

        def spy(*regions: Region, **kwargs: bool) -> JobTable:
            repaints.append(regions)
            return real(*regions, **kwargs)

        grid.refresh = spy  # type: ignore[method-assign]
        now[0] += 3600
        await app.refresh_data()  # the store did not change: only the clock moved
        await settle(pilot)
        after = {
            str(row.key.value): grid.get_cell(row.key, "when").plain for row in grid.ordered_rows
        }
        moved = [key for key in after if after[key] != before[key]]
        assert moved, "an hour passed and no relative time moved"
        assert repaints and all(repaints), "a tick repainted the whole table"
        assert len(repaints) <= len(moved) + 1


async def test_an_idle_workers_pane_is_not_rebuilt(app: QueueApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "w")
        assert isinstance(app.screen, WorkersScreen)
        table = app.screen.query_one("#workers", DataTable)
        assert table.row_count
        cleared: list[bool] = []
        real = table.clear

        def spy(columns: bool = False) -> DataTable[Text]:
            cleared.append(columns)
            return real(columns)

        table.clear = spy  # type: ignore[method-assign]
        for _ in range(3):
            await app.refresh_data()
            await settle(pilot)
        assert cleared == []


async def test_an_idle_detail_does_not_redraw_its_fields(app: QueueApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        grid = app.screen.query_one(JobTable)
        grid.move_cursor(row=grid.get_row_index("sync-001"))
        await press(pilot, "enter")
        assert isinstance(app.screen, DetailScreen)
        fields = app.screen.query_one("#fields", Static)
        updates: list[object] = []
        real = fields.update

        def spy(content: object = "", **kwargs: object) -> None:
            updates.append(content)
            real(content)  # type: ignore[arg-type]

        fields.update = spy  # type: ignore[assignment,method-assign]
        for _ in range(3):
            await app.refresh_data()
            await settle(pilot)
        assert updates == []
