"""The process pane (``t``): running jobs' samples, and signals through the request gate."""

from __future__ import annotations

import asyncio

import pytest
from textual.widgets import DataTable

from queuectl_core.processes import JobSignal, SignalAck
from queuectl_core.store.base import Store
from queuectl_tui import operator_jobs
from queuectl_tui.app import QueueApp
from queuectl_tui.demo import BUILD_01
from queuectl_tui.factory import make_app
from queuectl_tui.screens.confirm import ConfirmScreen
from queuectl_tui.screens.help import help_table
from queuectl_tui.screens.processes import ProcessesScreen, SignalPicker

from .support import fixed_clock, press, settle


def _cells(app: QueueApp) -> list[list[str]]:
    table = app.screen.query_one("#processes", DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


async def _answer(store: Store, answered: list[JobSignal]) -> None:
    """Play the worker: pick up the request and acknowledge it."""
    while True:
        requests = await store.publish_processes(BUILD_01.id, [])
        if requests:
            answered.extend(r.signal for r in requests)
            await store.ack_signals([SignalAck(r.id, None) for r in requests])
            return
        await asyncio.sleep(0.02)


async def test_the_pane_shows_running_jobs_with_their_samples(app: QueueApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "t")
        assert isinstance(app.screen, ProcessesScreen)
        rows = _cells(app)
        assert [r[0] for r in rows] == ["reindex-01", "etl-0007"]
        assert rows[0][1:7] == ["31337", "5", "187.5", "392.9M", "12.0s", "-"]
        await press(pilot, "escape")
        assert not isinstance(app.screen, ProcessesScreen)


async def test_a_signal_is_picked_sent_and_delivered(app: QueueApp, store: Store) -> None:
    answered: list[JobSignal] = []
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "t", "k")
        assert isinstance(app.screen, SignalPicker)
        worker = asyncio.create_task(_answer(store, answered))
        await press(pilot, *["down"] * 5, "enter")  # TERM INT HUP USR1 USR2 [STOP]
        await asyncio.wait_for(worker, 10)
        await settle(pilot)
        assert answered == [JobSignal.STOP]
        assert isinstance(app.screen, ProcessesScreen)
        notes = [n.message for n in app._notifications]
        assert "SIGSTOP delivered to job reindex-01" in notes


async def test_kill_is_confirmed_and_can_be_declined(app: QueueApp, store: Store) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "t", "k", "end", "enter")
        assert isinstance(app.screen, ConfirmScreen)
        await press(pilot, "n")
        assert isinstance(app.screen, ProcessesScreen)
    assert await store.publish_processes(BUILD_01.id, []) == []


async def test_an_undelivered_signal_is_reported(
    app: QueueApp, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(operator_jobs, "SIGNAL_TIMEOUT", 0.1)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "t", "k", "down", "enter")  # INT: no confirm
        notes = [n.message for n in app._notifications]
        assert any("SIGINT not delivered" in n and "within 0.1s" in n for n in notes), notes
    (request,) = await store.publish_processes(BUILD_01.id, [])
    assert request.signal is JobSignal.INT


async def test_read_only_console_refuses_signals(seeded: str, store: Store) -> None:
    app = make_app(seeded, clock=fixed_clock, live=False, readonly=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "t", "k")
        assert isinstance(app.screen, ProcessesScreen)
        notes = [n.message for n in app._notifications]
        assert any("read-only" in n for n in notes), notes
    assert await store.publish_processes(BUILD_01.id, []) == []


def test_help_lists_the_process_pane() -> None:
    from rich.console import Console

    console = Console(width=100, record=True)
    console.print(help_table())
    text = console.export_text()
    assert "Processes" in text and "Signal" in text
