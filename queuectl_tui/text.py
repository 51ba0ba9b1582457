"""Inert text: every string that came from a job (command, id, output, error) passes through here.

Nothing from the store is ever parsed as markup (we build ``rich.text.Text`` directly), and
control characters and terminal escape sequences are neutralised so a job cannot repaint,
retitle or scramble the operator's terminal.
"""

from __future__ import annotations

import math
import re
import signal
from datetime import UTC, datetime

from rich.text import Text

# CSI (colours, cursor moves) and OSC (titles, hyperlinks) sequences are dropped whole.
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]")
_CARET = {code: f"^{chr(code + 64)}" for code in range(32)}
_CARET[0x7F] = "^?"
_C1 = {code: "\ufffd" for code in range(0x80, 0xA0)}
# Bidirectional overrides can make text read differently from what runs ("trojan source").
_BIDI = {code: "\ufffd" for code in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))}
_SEPARATORS = {0x2028: " ", 0x2029: " "}
_LINE_TABLE = {**_CARET, **_C1, **_BIDI, **_SEPARATORS, ord("\n"): "\u21b5", ord("\t"): " "}
_BLOCK_TABLE = {k: v for k, v in _LINE_TABLE.items() if k not in (ord("\n"), ord("\t"))}


def clean_line(value: str, limit: int = 400) -> str:
    """One line for a table cell: escapes dropped, newlines as ↵, controls as ^X."""
    return _ESCAPES.sub("", value[: limit * 2]).translate(_LINE_TABLE)[:limit]


def clean_block(value: str) -> str:
    """Multi-line output: keeps newlines and tabs, neutralises everything else."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return _ESCAPES.sub("", value).translate(_BLOCK_TABLE)


def inert(value: str, style: str = "", limit: int = 400) -> Text:
    """A ``Text`` that renders ``value`` literally (never markup)."""
    return Text(clean_line(value, limit), style=style, no_wrap=True, overflow="ellipsis")


#: Beyond this a duration is shown as ``>9999y`` (stored values are not trusted to be sane).
_YEAR = 365 * 86400
_LONGEST = 10_000 * _YEAR


def ago(seconds: float, *, up: bool = False) -> str:
    """Compact duration: 4s, 20s, 2m, 3h, 5d, 7y; total over every float (``?`` when unknowable).

    From 10 s to a minute it moves in 10 s steps (down, or ``up`` for countdowns): a per-second
    "54s ago" rewrote cells of an idle console every second for no decision anyone makes on it.
    """
    if math.isnan(seconds):
        return "?"
    if seconds >= _LONGEST:
        return ">9999y"
    seconds = int(max(0.0, seconds))
    if seconds < 10:
        return f"{seconds}s"
    step = -(-seconds // 10) * 10 if up else seconds // 10 * 10
    if step < 60:
        return f"{step}s"
    seconds = max(seconds, step)
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 86400:
        return f"{seconds // 3600}h"
    if seconds < _YEAR:
        return f"{seconds // 86400}d"
    return f"{seconds // _YEAR}y"


def relative(moment: float | None, now: float) -> str:
    """``in 4s`` for the future, ``2m ago`` for the past, empty for unknown."""
    if moment is None:
        return ""
    if moment > now + 0.5:
        return f"in {ago(moment - now + 0.999, up=True)}"
    return f"{ago(now - moment)} ago"


def timestamp(moment: float) -> str:
    """UTC date and time; a moment no calendar can name is shown as raw epoch seconds."""
    try:
        return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%d %H:%M:%SZ")
    except (ValueError, OverflowError, OSError):
        return f"epoch {moment:g}"


def duration(start: float | None, end: float | None, now: float) -> str:
    """Run time of an attempt (still running: up to now)."""
    if start is None:
        return ""
    seconds = (end if end is not None else now) - start
    if seconds < 10:
        return f"{max(0.0, seconds):.1f}s"
    return ago(seconds)


def exit_text(code: int | None) -> str:
    """Exit code, or the signal name when a signal ended the process (negative codes)."""
    if code is None:
        return ""
    if code < 0:
        try:
            return signal.Signals(-code).name
        except ValueError:
            return f"signal {-code}"
    return str(code)


def thousands(number: int) -> str:
    return f"{number:,}"
