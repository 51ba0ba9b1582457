"""Inert text: every string that came from a job (command, id, output, error) passes through here.

(Times, durations and signal names are ``queuectl_core.present``, shared with the CLI.)

Nothing from the store is ever parsed as markup (we build ``rich.text.Text`` directly), and
control characters and terminal escape sequences are neutralised so a job cannot repaint,
retitle or scramble the operator's terminal.
"""

from __future__ import annotations

import re

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
