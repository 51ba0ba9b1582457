"""Output of one attempt: plain lines (never markup), appended incrementally while following."""

from __future__ import annotations

from collections.abc import Iterator

from textual.widgets import Log

from queuectl_tui.text import clean_block

#: Longer lines are folded, so one 1 MiB line cannot stall rendering.
MAX_LINE = 2000


def _lines(text: str) -> Iterator[str]:
    for line in clean_block(text).split("\n"):
        if len(line) <= MAX_LINE:
            yield line
            continue
        for start in range(0, len(line), MAX_LINE):
            yield line[start : start + MAX_LINE]


class LogView(Log):
    """Shows one stream; ``show`` appends when the new text extends the old one."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, highlight=False, auto_scroll=False)
        self._raw = ""
        #: Keep the last line in view: after every write and every resize.
        self.following = False

    def show(self, text: str, *, follow: bool = False) -> None:
        """Display ``text``; with ``follow`` keep the end in view."""
        self.following = follow
        if text != self._raw:
            self._write(text)
        if follow:
            self._to_tail()

    def _to_tail(self) -> None:
        # Deferred past the next refresh: a pane that was only just mounted (or resized) has no
        # height yet, and an immediate scroll would be clamped against the wrong maximum.
        self.scroll_end(animate=False, x_axis=False)

    def on_resize(self) -> None:
        if self.following:
            self._to_tail()

    def _write(self, text: str) -> None:
        if self._raw and text.startswith(self._raw) and "\n" in self._raw:
            # Append whole new lines after the last complete one we already show.
            keep = self._raw.rfind("\n") + 1
            self._drop_partial(self._raw[keep:])
            new = text[keep:]
        else:
            self.clear()
            new = text
        self._raw = text
        lines = list(_lines(new)) if new else []
        if lines and lines[-1] == "" and len(lines) > 1:
            lines.pop()
        self.write_lines(lines, scroll_end=False)

    def _drop_partial(self, partial: str) -> None:
        """Remove the last, incomplete line so the new text rewrites it whole."""
        if partial and self._lines:
            count = max(1, -(-len(partial) // MAX_LINE))
            del self._lines[-count:]
            self._render_line_cache.clear()

    @property
    def shown(self) -> str:
        """The raw text currently displayed."""
        return self._raw
