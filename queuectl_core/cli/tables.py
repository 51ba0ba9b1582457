"""Human-readable output: aligned tables, colour only on a terminal (``NO_COLOR`` honoured).

Plain string formatting rather than rich: importing rich costs ~60 ms, a third of a short
command's run time, for tables this simple.
"""

from __future__ import annotations

import os
import sys
import unicodedata
from collections.abc import Sequence

from queuectl_core.cli.common import safe

STATE_COLOURS = {
    "pending": "36",
    "processing": "33",
    "completed": "32",
    "failed": "35",
    "dead": "31",
    "cancelled": "2",
}
MAX_CELL = 60


def _colour_on() -> bool:
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _fit(text: str, limit: int) -> str:
    if _width(text) <= limit:
        return text
    while _width(text) > limit - 1:
        text = text[:-1]
    return text + "…"


def table(
    headers: Sequence[str],
    rows: Sequence[Sequence[object]],
    state_col: int = -1,
    max_cell: int = MAX_CELL,
) -> None:
    """Print an aligned table; every cell is plain text with control characters escaped."""
    cells = [[_fit(safe("" if v is None else str(v)), max_cell) for v in row] for row in rows]
    widths = [_width(h) for h in headers]
    for row in cells:
        widths = [max(w, _width(c)) for w, c in zip(widths, row, strict=True)]
    colour = _colour_on()
    out = []

    def line(values: Sequence[str], styles: Sequence[str]) -> str:
        parts = []
        for index, (value, width) in enumerate(zip(values, widths, strict=True)):
            pad = "" if index == len(values) - 1 else " " * (width - _width(value))
            style = styles[index]
            parts.append(f"\x1b[{style}m{value}\x1b[0m{pad}" if colour and style else value + pad)
        return "   ".join(parts)

    out.append(line(list(headers), ["1"] * len(headers)))
    out.append("─" * (sum(widths) + 3 * (len(widths) - 1)))
    for row in cells:
        styles = [STATE_COLOURS.get(v, "") if i == state_col else "" for i, v in enumerate(row)]
        out.append(line(row, styles))
    sys.stdout.write("\n".join(out) + "\n")


def pairs(items: Sequence[tuple[str, object]]) -> None:
    """``key: value`` lines, keys aligned."""
    width = max(len(k) for k, _ in items)
    for key, value in items:
        shown = "-" if value is None or value == "" else safe(str(value))
        sys.stdout.write(f"{key.rjust(width)}: {shown}\n")
