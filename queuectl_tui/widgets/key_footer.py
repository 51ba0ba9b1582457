"""The footer: every key when there is room; when narrow only the screen's essentials."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

#: Keys every narrow footer keeps (the app's own: help and the screen's way out).
ALWAYS = frozenset({"help", "quit", "back"})


class KeyFooter(Footer):
    """A ``Footer`` that, when the app is ``-narrow``, shows only the actions named in the
    screen's ``NARROW_KEYS`` (plus help and quit/back); ``?`` lists them all. Textual's own footer
    clips from the right, which is where ``?`` and ``q`` live."""

    def compose(self) -> ComposeResult:
        keep: frozenset[str] | None = getattr(self.screen, "NARROW_KEYS", None)
        narrow = self.app.has_class("-narrow") and keep is not None
        shown = 0
        for widget in super().compose():
            if isinstance(widget, FooterKey) and "-command-palette" not in widget.classes:
                if narrow and keep is not None and widget.action.split("(")[0] not in keep | ALWAYS:
                    continue
                shown += 1
            yield widget
        self.styles.grid_size_columns = shown
