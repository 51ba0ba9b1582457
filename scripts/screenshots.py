"""Regenerate the console screenshots in ``screenshots/`` (SVG, plus PNG via rsvg-convert).

The store is the demo seeder's, at a fixed clock, so the pictures change only when the UI does:

    python scripts/screenshots.py            # needs rsvg-convert (apt-get install librsvg2-bin)
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

from textual.pilot import Pilot

sys.path.insert(0, str(Path(__file__).parent))
from svg_to_png import convert

from queuectl_core.models import JobSpec
from queuectl_core.recurrence import Rule
from queuectl_core.schedule_model import ScheduleSpec
from queuectl_core.store.base import Store
from queuectl_core.store.open import open_store
from queuectl_tui.app import QueueApp
from queuectl_tui.demo import Clock, seed
from queuectl_tui.factory import make_app
from queuectl_tui.widgets.job_table import JobTable

NOW = 1_750_000_000.0
OUT = Path(__file__).resolve().parent.parent / "screenshots"
#: name, terminal size, job to select first (or None), keys to press.
SHOTS: list[tuple[str, tuple[int, int], str | None, tuple[str, ...]]] = [
    ("main", (120, 36), None, ()),
    ("main-80x24", (80, 24), None, ()),
    ("dlq-retry-all", (120, 36), None, ("6", "R")),
    ("dlq-80x24", (80, 24), None, ("6",)),
    ("job-detail", (120, 36), "sync-001", ("enter", "s")),
    ("follow-80x24", (80, 24), "reindex-01", ("f",)),
    ("enqueue-80x24", (80, 24), None, ("n", "e", "c", "h", "o", "tab", "tab", "x")),
    ("purge", (120, 36), None, ("4", "d")),
    ("config", (120, 36), None, ("e",)),
    ("workers", (120, 36), None, ("w",)),
    ("processes-80x24", (80, 24), None, ("t",)),
    ("signal-picker", (120, 36), None, ("t", "k")),
    ("help", (100, 40), None, ("question_mark",)),
    ("failures-80x24", (80, 24), None, ("F",)),
    ("queues", (120, 36), None, ("Q",)),
    ("queues-80x24", (80, 24), None, ("Q",)),
    ("schedules", (120, 36), None, ("S",)),
    ("schedules-80x24", (80, 24), None, ("S",)),
    ("dependent-detail", (120, 36), "email-01", ("enter",)),
    ("bulk-confirm", (120, 36), None, ("2", "space", "space", "c")),
]


async def settle(pilot: Pilot[None]) -> None:
    app = pilot.app
    assert isinstance(app, QueueApp)
    await asyncio.wait_for(app.ready.wait(), 10)
    for _ in range(3):
        await app.workers.wait_for_complete()
        await pilot.pause()


async def shoot(
    url: str, name: str, size: tuple[int, int], job: str | None, keys: tuple[str, ...]
) -> Path:
    app = make_app(url, clock=lambda: NOW, live=False)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        if job is not None:
            table = app.screen.query_one(JobTable)
            table.move_cursor(row=table.get_row_index(job))
        for key in keys:
            await pilot.press(key)
            await settle(pilot)
        path = OUT / f"{name}.svg"
        app.save_screenshot(str(path))
    return path


async def _steering(store: Store, clock: Clock) -> None:
    """Queue settings, schedules and a dependent job, for the panes that show them."""
    clock.now = NOW - 2
    await store.set_paused(["reports"], True)
    await store.set_concurrency("etl", 1)
    await store.enqueue(
        [JobSpec("./scripts/mail_report.sh", id="email-01", queue="reports", after=("weekly-01",))]
    )
    for name, rule, command, queue in (
        ("nightly-backup", Rule("0 2 * * *", None), "./scripts/backup.sh --full", "default"),
        ("feed-refresh", Rule(None, 300.0), "python -m feeds.refresh", "etl"),
        (
            "weekly-report",
            Rule("0 6 * * 1", None, "Europe/Paris"),
            "python -m reports.weekly",
            "reports",
        ),
    ):
        await store.add_schedule(ScheduleSpec(name, rule, command, queue=queue))
    await store.pause_schedule("weekly-report", True)
    clock.now = NOW


async def main() -> None:
    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        url = str(Path(tmp) / "demo.db")
        clock = Clock(NOW)
        store = await open_store(url, clock=clock)
        await seed(store, clock, NOW)
        await _steering(store, clock)
        await store.close()
        shots = [(url, *shot) for shot in SHOTS]
        shots.append((str(Path(tmp) / "empty.db"), "empty-80x24", (80, 24), None, ()))
        for store_url, name, size, job, keys in shots:
            svg = await shoot(store_url, name, size, job, keys)
            convert(svg, svg.with_suffix(".png"), width=size[0] * 13)
            print(svg.with_suffix(".png"))


if __name__ == "__main__":
    asyncio.run(main())
