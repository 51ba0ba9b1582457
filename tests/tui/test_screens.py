"""Pilot tests for detail and logs, follow, workers, config, help and the command palette."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.text import Text
from textual.command import CommandPalette
from textual.widgets import DataTable, Input, Static
from textual.widgets._footer import FooterKey
from textual.widgets.data_table import ColumnKey

from queuectl_core.models import Finish, JobSpec, Outcome
from queuectl_core.store.base import Store
from queuectl_core.store.open import open_store
from queuectl_tui.app import QueueApp
from queuectl_tui.factory import make_app
from queuectl_tui.palette import commands_for
from queuectl_tui.screens.config import ConfigScreen
from queuectl_tui.screens.detail import DetailScreen
from queuectl_tui.screens.help import HelpScreen, help_table
from queuectl_tui.screens.main import MainScreen
from queuectl_tui.screens.workers import WorkersScreen
from queuectl_tui.widgets.job_table import JobTable
from queuectl_tui.widgets.log_view import LogView

from .support import fixed_clock, press, settle


def select(app: QueueApp, job_id: str) -> None:
    grid = app.screen.query_one(JobTable)
    grid.move_cursor(row=grid.get_row_index(job_id))


def log_lines(app: QueueApp) -> list[str]:
    return list(app.screen.query_one(LogView).lines)


async def test_detail_shows_fields_attempts_and_both_streams(app: QueueApp) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        select(app, "sync-001")
        await press(pilot, "enter")
        screen = app.screen
        assert isinstance(screen, DetailScreen)
        attempts = screen.query_one("#attempts", DataTable)
        assert attempts.row_count == 2
        assert log_lines(app) == ["connecting to db-2:5432"]
        await press(pilot, "s")
        assert log_lines(app)[-1] == "ConnectionRefusedError: [Errno 111] Connection refused"
        fields = screen.query_one("#fields", Static).content
        assert "[bold]prod[/]" in _plain(fields)
        # The same answer as `queuectl why`: how it ended and how to run it again.
        why = _plain(screen.query_one("#why", Static).content)
        assert why.startswith("why") and "dead" in why and "queuectl retry sync-001" in why
        await press(pilot, "q")
        assert isinstance(app.screen, MainScreen)


def _plain(renderable: object) -> str:
    import io

    from rich.console import Console

    console = Console(width=200, record=True, file=io.StringIO())
    console.print(renderable)
    return console.export_text()


async def test_an_earlier_attempt_can_be_chosen(app: QueueApp, store: Store) -> None:
    await _finished_job(store, "two-runs", Outcome(1, "exit 1", "first run\n", ""), retries=1)
    await _finished_job(store, "two-runs", Outcome(1, "exit 1", "second run\n", ""), retries=1)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        select(app, "two-runs")
        await press(pilot, "enter")
        assert log_lines(app) == ["second run"]
        app.screen.query_one("#attempts", DataTable).focus()
        await press(pilot, "up")
        assert log_lines(app) == ["first run"]
        assert "attempt 1 of 2" in str(app.screen.query_one("#log-title", Static).render())


async def _finished_job(store: Store, job_id: str, outcome: Outcome, retries: int = 0) -> None:
    """Enqueue (once) and run ``job_id`` to ``outcome``; the seeded store has nothing else due."""
    if await store.get_job(job_id) is None:
        await store.enqueue([JobSpec("./produce.sh", id=job_id, max_retries=retries)])
    else:
        await store.retry([job_id])
    (job,) = await store.claim("tester", None, 1, 60)
    await store.finish([Finish(job.id, "tester", job.runs, outcome)])


async def test_follow_tails_a_running_job_live(app: QueueApp, store: Store) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await press(pilot, "3")
        select(app, "reindex-01")
        await press(pilot, "f")
        screen = app.screen
        assert isinstance(screen, DetailScreen) and screen.follow
        assert log_lines(app)[-1] == "indexed shard 18/64"
        job = await store.get_job("reindex-01")
        assert job is not None
        more = "".join(f"indexed shard {n:02d}/64\n" for n in range(1, 41))
        await store.save_output([("reindex-01", job.runs, more, "")])
        await app.refresh_data()
        await settle(pilot)
        log = screen.query_one(LogView)
        assert log_lines(app)[-1] == "indexed shard 40/64"
        assert log.scroll_y == log.max_scroll_y > 0  # autoscrolled to the end


async def test_escapes_and_markup_in_output_are_inert(app: QueueApp, store: Store) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        select(app, "ansi-001")
        await press(pilot, "enter")
        lines = log_lines(app)
        assert lines == ["red  done"]
        assert not any("\x1b" in line or "\x07" in line for line in lines)
        command = app.screen.query_one("#fields", Static).content
        assert "\x1b" not in _plain(command)


async def test_huge_output_is_shown_without_blocking(app: QueueApp, store: Store) -> None:
    huge = "x" * 300_000 + "\n" + "".join(f"line {n}\n" for n in range(20_000))
    await _finished_job(store, "huge-1", Outcome(0, None, huge, ""))
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        select(app, "huge-1")
        await press(pilot, "enter")
        lines = log_lines(app)
        assert lines[-1] == "line 19999"
        assert max(len(line) for line in lines) <= 2000  # one long line is folded


async def test_workers_pane_flags_stale_workers_and_hosts_slots(app: QueueApp) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await press(pilot, "w")
        screen = app.screen
        assert isinstance(screen, WorkersScreen)
        table = screen.query_one("#workers", DataTable)
        status = {
            str(r.key.value): table.get_cell(r.key, "status").plain for r in table.ordered_rows
        }
        assert status == {"build-01-4242-a1f0": "live", "build-02-977-0c3e": "STALE"}
        assert screen.check_action("stop", ()) is None  # nothing hosted yet
        assert screen.check_action("start", ()) is True


async def test_config_editor_validates_inline_and_saves(app: QueueApp, store: Store) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await press(pilot, "e")
        screen = app.screen
        assert isinstance(screen, ConfigScreen)
        table = screen.query_one("#config", DataTable)
        assert table.row_count == 8
        assert table.get_cell("lease_timeout", "value").plain == "30"
        await press(pilot, "down", "enter")  # backoff_base
        edit = screen.query_one("#edit", Input)
        edit.value = "0.5"
        await settle(pilot)
        problem = screen.query_one("#problem", Static)
        assert str(problem.render()) == "backoff_base must be >= 1, got '0.5'"
        await press(pilot, "enter")
        assert (await store.get_config()).backoff_base == 2
        edit.value = "3"
        await settle(pilot)
        await press(pilot, "enter")
        assert (await store.get_config()).backoff_base == 3
        assert table.get_cell("backoff_base", "value").plain == "3"


async def test_config_cross_key_rule_is_checked(app: QueueApp) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await press(pilot, "e")
        table = app.screen.query_one("#config", DataTable)
        table.move_cursor(row=table.get_row_index("lease_timeout"))
        await press(pilot, "enter")
        app.screen.query_one("#edit", Input).value = "1"
        await settle(pilot)
        assert "heartbeat_interval" in str(app.screen.query_one("#problem", Static).render())


def _all_bindings() -> list[tuple[str, str]]:
    from textual.binding import Binding

    found = []
    for screen in (MainScreen, DetailScreen, WorkersScreen, ConfigScreen, QueueApp):
        for binding in screen.BINDINGS:
            if isinstance(binding, Binding) and binding.description:
                found.append((binding.key, binding.description))
    return found


async def test_help_lists_every_key(app: QueueApp) -> None:
    text = _plain(help_table())
    for _, description in _all_bindings():
        assert description in text
    for key in ("/", "enter", "R", "?", "ctrl+p", "ctrl+c", "1", "6", "+", "-", "esc"):
        assert f"\n{key} " in text or f" {key} " in text or text.startswith(key), key
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "question_mark")
        assert isinstance(app.screen, HelpScreen)
        await press(pilot, "escape")
        assert isinstance(app.screen, MainScreen)


async def test_palette_offers_every_action_of_the_screen(app: QueueApp) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        commands = list(commands_for(app, app.screen))
        titles = {command.title for command in commands}
        for name in ("Retry", "Retry DLQ", "Cancel", "Purge", "New job", "Config", "Workers"):
            assert name in titles
        assert {f"View: {v}" for v in ("All", "Pending", "Running", "Failed", "Dead")} <= titles
        await press(pilot, "ctrl+p")
        assert isinstance(app.screen, CommandPalette)
        await press(pilot, "escape")
        (workers,) = [c for c in commands if c.title == "Workers"]
        await workers.callback()  # what choosing it in the palette runs
        await settle(pilot)
        assert isinstance(app.screen, WorkersScreen)


def test_text_is_inert() -> None:
    from queuectl_tui.text import clean_block, clean_line, inert

    assert clean_line("a\x1b[31mb\x1b[0m\nc\td\x07\u202e") == "ab\u21b5c d^G\ufffd"
    assert clean_block("a\r\nb\rc\x1b]0;title\x07") == "a\nb\nc"
    cell = inert("[bold]x[/bold]")
    assert isinstance(cell, Text) and cell.plain == "[bold]x[/bold]" and not cell.spans


@pytest.mark.parametrize("size", [(80, 24), (160, 45)])
async def test_the_dead_view_has_an_error_column(
    app: QueueApp, store: Store, size: tuple[int, int]
) -> None:
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        grid = app.screen.query_one(JobTable)
        assert "error" not in [str(key.value) for key in grid.columns]
        await press(pilot, "6")
        assert [str(key.value) for key in grid.columns][-1] == "error"
        job = await store.get_job("sync-001")
        assert job is not None and job.last_error
        assert grid.get_cell("sync-001", "error").plain == job.last_error
        error = grid.columns[ColumnKey("error")]
        assert error.get_render_width(grid) >= 14
        shown = app.export_screenshot()
        assert job.last_error[:8].replace(" ", "&#160;") in shown
        await press(pilot, "1")
        assert "error" not in [str(key.value) for key in grid.columns]


def _footer_keys(app: QueueApp) -> dict[str, str]:
    """Footer keys wholly on screen (not clipped at the right edge): key -> action."""
    width = app.size.width
    return {
        key.key_display: key.action
        for key in app.screen.query(FooterKey)
        if key.region.width and key.region.right <= width and "-command-palette" not in key.classes
    }


async def test_the_footer_at_80_columns_keeps_help_quit_and_workers(app: QueueApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        keys = _footer_keys(app)
        assert {"?", "q", "w"} <= set(keys), keys
        select(app, "reindex-01")
        await press(pilot, "enter")
        keys = _footer_keys(app)
        assert {"?", "q", "[", "]"} <= set(keys), keys
        await press(pilot, "q", "w")
        assert {"?", "q", "s"} <= set(_footer_keys(app))
        await press(pilot, "q", "e")
        assert {"?", "q"} <= set(_footer_keys(app))


async def test_a_wide_footer_shows_every_key(app: QueueApp) -> None:
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        keys = _footer_keys(app)
        assert {"?", "q", "w", "/", "d", "e", "n", "R"} <= set(keys), keys


async def test_brackets_step_through_attempts_from_the_log(app: QueueApp, store: Store) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        select(app, "sync-001")
        await press(pilot, "enter")
        screen = app.screen
        assert isinstance(screen, DetailScreen)
        title = screen.query_one("#log-title", Static)
        assert "attempt 2 of 2" in str(title.render())
        await press(pilot, "left_square_bracket")
        assert screen.attempt == 1
        assert "attempt 1 of 2" in str(title.render())
        first = await store.output("sync-001", 1)
        assert first is not None and screen.query_one(LogView).shown == first.stdout
        assert screen.query_one("#attempts", DataTable).cursor_row == 0
        await press(pilot, "left_square_bracket")
        assert screen.attempt == 1
        await press(pilot, "right_square_bracket")
        assert screen.attempt is None
        assert "attempt 2 of 2" in str(title.render())


async def test_an_empty_store_shows_how_to_start(tmp_path: Path) -> None:
    url = str(tmp_path / "empty.db")
    app = make_app(url, clock=fixed_clock, live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        hint = app.screen.query_one("#empty", Static)
        assert hint.display and not app.screen.query_one(JobTable).display
        text = str(hint.render())
        assert "No jobs yet" in text and "queuectl-tui --demo" in text
        assert "queuectl enqueue --command" in text
        assert "queuectl-tui" in app.export_screenshot()
        store = await open_store(url, clock=fixed_clock)
        try:
            await store.enqueue([JobSpec("true", id="first")])
        finally:
            await store.close()
        await app.refresh_data()
        await settle(pilot)
        assert not hint.display and app.screen.query_one(JobTable).row_count == 1


async def test_config_keys_show_with_underscores(app: QueueApp) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await press(pilot, "e")
        table = app.screen.query_one("#config", DataTable)
        names = [table.get_cell(row.key, "key").plain for row in table.ordered_rows]
        assert "max_retries" in names and not any("-" in name for name in names)


async def test_detail_says_why_a_pending_job_waits(app: QueueApp, store: Store) -> None:
    (job,) = await store.enqueue([JobSpec(command="true", id="waits", delay=3600)])
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        select(app, job.id)
        await press(pilot, "enter")
        await settle(pilot)
        why = _plain(app.screen.query_one("#why", Static).content)
        assert "scheduled" in why and "(in 1h)" in why, why
