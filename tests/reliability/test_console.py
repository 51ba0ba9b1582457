"""The console under an impatient operator: keys typed while it is still opening its store.

(The console's own suite, tests/tui, covers inert rendering of hostile output.)
"""

from __future__ import annotations

import re
import sqlite3
import time
from pathlib import Path

import pytest
from helpers import run_cli

from .actors import Console, console_available

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@pytest.mark.skipif(not console_available(), reason="queuectl_tui is not installed")
def test_keys_typed_while_the_console_opens_do_not_crash_it(db: Path) -> None:
    run_cli("enqueue", "--command", "true", db=db)
    # Another process holds the store for a moment (a migration, a checkpoint, a busy disk):
    # opening waits on the busy timeout, as it does under load.
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("PRAGMA locking_mode = EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("UPDATE config SET value = value")
    console = Console()
    try:
        console.start(db)
        for _ in range(30):  # view switches and moves while the store is still opening
            console.type(b"2j1k")
            time.sleep(0.1)
        holder.execute("COMMIT")
        holder.close()
        time.sleep(3)
        assert console.proc is not None
        screen = ANSI.sub("", bytes(console.screen).decode("utf-8", "replace"))
        crashed = screen.find("Traceback")
        assert crashed < 0 and console.proc.poll() is None, screen[crashed : crashed + 3000]
        assert console.quit() == 0
    finally:
        holder.close()
        console.kill()
