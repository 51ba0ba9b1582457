"""Helpers shared by the reliability tests: direct store reads, config, and figure reporting."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import Any

from helpers import run_cli

FIGURES_ENV = "QUEUECTL_FIGURES"


def configure(db: Path | str, **values: object) -> None:
    """``queuectl config set`` each key (given with underscores)."""
    for key, value in values.items():
        run_cli("config", "set", key, str(value), db=db)


def read_rows(db: Path | str, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Query the SQLite file directly (read-only), independent of the code under test."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        return conn.execute(query, params).fetchall()
    finally:
        conn.close()


def state_counts(db: Path | str) -> dict[str, int]:
    """Jobs per state, counted from the rows themselves."""
    return dict(read_rows(db, "SELECT state, count(*) FROM jobs GROUP BY state"))


def report(name: str, figures: dict[str, object]) -> None:
    """Print figures (shown with ``-s``) and append them as JSON to $QUEUECTL_FIGURES if set."""
    line = json.dumps({"test": name, **figures})
    print(f"\nFIGURES {line}")
    target = os.environ.get(FIGURES_ENV)
    if target:
        with open(target, "a", encoding="utf-8") as handle:
            handle.write(line + "\n")
