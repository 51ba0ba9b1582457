"""State colours, taken from the running theme (never hard-coded), so NO_COLOR and themes apply."""

from __future__ import annotations

from textual.app import App

from queuectl_core.models import JobState

_STATE_VARIABLE = {
    JobState.PENDING: "foreground",
    JobState.PROCESSING: "primary-lighten-2",
    JobState.COMPLETED: "success",
    JobState.FAILED: "warning",
    JobState.DEAD: "error",
    JobState.CANCELLED: "foreground",
}


def state_style(app: App[object], state: JobState) -> str:
    """A Rich style string for ``state`` in the current theme."""
    colour = app.theme_variables.get(_STATE_VARIABLE[state]) or app.theme_variables.get(
        "foreground", ""
    )
    extra = {JobState.DEAD: " bold", JobState.PROCESSING: " bold", JobState.CANCELLED: " dim"}
    return f"{colour}{extra.get(state, '')}".strip()


def variable(app: App[object], name: str) -> str:
    """One theme variable as a Rich colour (empty when the theme does not define it)."""
    return app.theme_variables.get(name, "")
