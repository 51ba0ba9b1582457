"""Human-readable output: aligned tables, colour only on a terminal (``NO_COLOR`` honoured)."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from queuectl_core.cli.common import safe

if TYPE_CHECKING:
    from rich.console import Console

STATE_STYLES = {
    "pending": "cyan",
    "processing": "yellow",
    "completed": "green",
    "failed": "magenta",
    "dead": "red",
    "cancelled": "dim",
}


def console(stderr: bool = False) -> Console:
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    colour = stream.isatty() and "NO_COLOR" not in os.environ
    return Console(
        file=stream,
        no_color=not colour,
        highlight=False,
        soft_wrap=False,
        width=None if stream.isatty() else 200,
        color_system="auto" if colour else None,
    )


def table(headers: Sequence[str], rows: Sequence[Sequence[object]], state_col: int = -1) -> None:
    """Print an aligned table; every cell is plain text (markup in data is never interpreted)."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    grid = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, header_style="bold")
    for header in headers:
        grid.add_column(header, overflow="ellipsis", no_wrap=True)
    for row in rows:
        cells = []
        for index, value in enumerate(row):
            text = safe("" if value is None else str(value))
            style = STATE_STYLES.get(text, "") if index == state_col else ""
            cells.append(Text(text, style=style))
        grid.add_row(*cells)
    console().print(grid)


def pairs(items: Sequence[tuple[str, object]]) -> None:
    """``key: value`` lines, keys aligned."""
    width = max(len(k) for k, _ in items)
    for key, value in items:
        shown = "-" if value is None or value == "" else safe(str(value))
        sys.stdout.write(f"{key.rjust(width)}: {shown}\n")
