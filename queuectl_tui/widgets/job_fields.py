"""Every field of one job, as an inert two-column grid."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Group
from rich.table import Table
from rich.text import Text

from queuectl_core.models import Dependency, Job
from queuectl_core.present import exit_text, relative, timestamp
from queuectl_tui.text import clean_line


def _time(moment: float | None, now: float, wide: bool) -> Text:
    if moment is None:
        return Text("-", style="dim")
    if not wide:
        return Text(relative(moment, now))
    return Text.assemble(timestamp(moment), (f"  {relative(moment, now)}", "dim"))


def _after(deps: Sequence[Dependency]) -> Text:
    """Each dependency with its current state (``purged``: no longer in the store)."""
    shown = Text()
    for index, dep in enumerate(deps):
        if index:
            shown.append("  ")
        shown.append(clean_line(dep.id, 200))
        state = str(dep.state) if dep.state is not None else "purged"
        style = "bold" if dep.state is not None and dep.state != "completed" else "dim"
        shown.append(f" {state}", style=style)
    return shown


def job_fields(
    job: Job, now: float, state_style: str, width: int, deps: Sequence[Dependency] = ()
) -> Group:
    """A grid of label/value pairs, two per row; timestamps only when ``width`` allows.

    ``deps``: the job's dependencies with their states; the "after" and "key" rows appear only
    for jobs that have them."""
    wide = width >= 110
    env = " ".join(f"{k}={v}" for k, v in sorted(job.env.items())) or "-"
    pairs: list[tuple[str, Text]] = [
        ("id", Text(clean_line(job.id, 200))),
        ("state", Text(str(job.state), style=state_style)),
        ("command", Text(clean_line(job.command, 2000))),
        ("attempts", Text(f"{job.attempts} of {job.max_attempts} (runs {job.runs})")),
        ("queue", Text(clean_line(job.queue))),
        ("priority", Text(str(job.priority))),
        ("timeout", Text("none" if job.timeout is None else f"{job.timeout:g}s")),
        ("worker", Text(clean_line(job.worker_id or "-"))),
        ("exit", Text(exit_text(job.exit_code) or "-")),
        ("error", Text(clean_line(job.last_error or "-", 500))),
        ("created", _time(job.created_at, now, wide)),
        ("run at", _time(job.run_at, now, wide)),
        ("started", _time(job.started_at, now, wide)),
        ("finished", _time(job.finished_at, now, wide)),
        ("cwd", Text(clean_line(job.cwd or "(worker's)", 500))),
        ("env", Text(clean_line(env, 500))),
    ]
    if job.unique_key is not None:
        pairs.append(("key", Text(clean_line(job.unique_key, 200))))
    if job.after:
        pairs.append(("after", _after(deps) if deps else Text(clean_line(" ".join(job.after)))))
    grid = Table.grid(padding=(0, 1), expand=True)
    for _ in range(2):
        grid.add_column(style="bold", no_wrap=True, min_width=8)
        grid.add_column(ratio=1, overflow="ellipsis", no_wrap=True)
    rest = [pair for pair in pairs if pair[0] != "command"]
    for left, right in zip(rest[0::2], rest[1::2], strict=False):
        grid.add_row(left[0], left[1], right[0], right[1])
    if len(rest) % 2:
        grid.add_row(rest[-1][0], rest[-1][1], "", "")
    # The command gets a full row: it is what the operator reads first.
    command = Text.assemble(("command  ", "bold"), pairs[2][1], no_wrap=True, overflow="ellipsis")
    return Group(command, grid)
