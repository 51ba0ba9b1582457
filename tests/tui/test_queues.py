"""The queues pane (``Q``): queues with counts, pause/resume and the limit prompt, all through
the request gate; at 80x24 and with odd stored values."""

from __future__ import annotations

import sqlite3

from textual.widgets import DataTable, Input, Static

from queuectl_core.store.base import Store
from queuectl_tui.app import QueueApp
from queuectl_tui.factory import make_app
from queuectl_tui.screens.help import help_table
from queuectl_tui.screens.queues import LimitPrompt, QueuesScreen

from .support import as_if_last_read_was_slow, fixed_clock, press, settle


def _rows(app: QueueApp) -> list[list[str]]:
    table = app.screen.query_one("#queues", DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


def _select(app: QueueApp, name: str) -> None:
    table = app.screen.query_one("#queues", DataTable)
    names = [row[0] for row in _rows(app)]
    table.move_cursor(row=names.index(name), animate=False)


async def test_the_pane_lists_queues_and_pauses_and_resumes(app: QueueApp, store: Store) -> None:
    expected = [q.name for q in await store.list_queues()]
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "Q")
        assert isinstance(app.screen, QueuesScreen)
        rows = _rows(app)
        assert [r[0] for r in rows] == expected and "etl" in expected
        assert app.screen.query_one("#queues", DataTable).virtual_size.width <= 80  # no h-scroll
        etl = (await store.get_queue("etl")).counts
        row = rows[expected.index("etl")]
        assert row[1:4] == ["running", "-", str(etl["pending"])]
        _select(app, "etl")
        await press(pilot, "p")
        assert await store.paused_queues() == ["etl"]
        await app.refresh_data(force=True)
        await settle(pilot)
        assert _rows(app)[expected.index("etl")][1] == "paused"
        assert "1 paused" in str(app.screen.query_one("#queues-summary", Static).render())
        await press(pilot, "p")
        assert await store.paused_queues() == []
        await press(pilot, "escape")
        assert not isinstance(app.screen, QueuesScreen)


async def test_own_writes_show_although_a_slow_listing_is_throttled(
    app: QueueApp, store: Store
) -> None:
    """A big store's listing is read at most every ten times as long as it takes; a pause or a
    limit the operator just set still shows on the next refresh (CI caught it on a slow run)."""
    expected = [q.name for q in await store.list_queues()]
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "Q")
        screen = app.screen
        assert isinstance(screen, QueuesScreen)
        as_if_last_read_was_slow(screen, "_next_load")
        _select(app, "etl")
        await press(pilot, "p")
        assert await store.paused_queues() == ["etl"]
        await app.refresh_data(force=True)
        await settle(pilot)
        assert _rows(app)[expected.index("etl")][1] == "paused"


async def test_the_limit_prompt_validates_and_sets(app: QueueApp, store: Store) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "Q")
        _select(app, "etl")
        await press(pilot, "l")
        assert isinstance(app.screen, LimitPrompt)
        field = app.screen.query_one("#limit", Input)
        assert field.value == "0"
        await press(pilot, "backspace", "9", "9", "9", "9", "9", "9", "9", "enter")
        assert isinstance(app.screen, LimitPrompt)  # 9,999,999 is refused, on screen
        problem = app.screen.query_one("#limit-problem", Static)
        assert "concurrency must be 0" in str(problem.render())
        field.value = ""
        await press(pilot, "3", "enter")
        assert isinstance(app.screen, QueuesScreen)
        assert (await store.get_queue("etl")).concurrency == 3
        await press(pilot, "l", "escape")
        assert isinstance(app.screen, QueuesScreen)
    assert (await store.get_queue("etl")).concurrency == 3


async def test_readonly_refuses_pause_and_limit(seeded: str, store: Store) -> None:
    app = make_app(seeded, clock=fixed_clock, live=False, readonly=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "Q")
        assert app.screen.check_action("pause", ()) is None
        for key in ("p", "l"):
            app.clear_notifications()
            await press(pilot, key)
            assert isinstance(app.screen, QueuesScreen)
            assert any(n.message.startswith("read-only: ") for n in app._notifications)
    assert await store.paused_queues() == []


async def test_odd_stored_queues_render_and_fail_politely(seeded: str, store: Store) -> None:
    conn = sqlite3.connect(seeded)
    with conn:
        conn.execute("UPDATE jobs SET queue = ? WHERE id = 'etl-0007'", ("\x1b[31mred\nq" * 20,))
        conn.execute("UPDATE jobs SET state = 'weird' WHERE id = 'weekly-01'")
        conn.execute("INSERT INTO queues VALUES ('[bold]x[/]', 1, 5, 0)")
    conn.close()
    app = make_app(seeded, clock=fixed_clock, live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "Q")
        names = [r[0] for r in _rows(app)]
        assert "[bold]x[/]" in names
        odd = next(n for n in names if "red" in n)
        assert "\x1b" not in odd and "\n" not in odd
        _select(app, odd)
        app.clear_notifications()
        await press(pilot, "p")  # not a valid queue name: one error, nothing changes
        messages = [n.message for n in app._notifications]
        assert any("queue must match" in m for m in messages), messages
        assert isinstance(app.screen, QueuesScreen)
    assert await store.paused_queues() == ["[bold]x[/]"]


def test_help_lists_the_queues_keys() -> None:
    rendered = str([str(cell) for column in help_table().columns for cell in column.cells])
    assert "Queues" in rendered and "Pause/resume" in rendered and "Set limit" in rendered
