"""What screens ask of the app: typed requests posted up, handled by the app's one gate.

Screens never write, open screens or quit themselves: they post one of these, and
``QueueApp.on_request`` decides (read-only refusal, confirmation, the store call, the refresh).
Every request shares the handler name ``on_request``, so the gate cannot be bypassed by a
request type it forgot to handle.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual.message import Message

from queuectl_core.insight import BulkAction, FailureGroup, JobFilter
from queuectl_core.models import Job, JobState


class Request(Message):
    """Base of every operator request; ``write`` ones are refused in a read-only console."""

    #: Writes to the store, or starts/stops this console's workers.
    write: ClassVar[bool] = True
    #: How the read-only refusal names it (the key's own description, lower case).
    what: ClassVar[str] = "this action"

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)  # type: ignore[arg-type]
        cls.handler_name = "on_request"


@dataclass
class RetryRequested(Request):
    """``queuectl retry``: failed runs now; dead, cancelled, completed start over."""

    what: ClassVar[str] = "retry"
    job_ids: tuple[str, ...]


class RetryDeadRequested(Request):
    """Every job in the DLQ back to pending (after a confirm that shows how many)."""

    what: ClassVar[str] = "retry dlq"


@dataclass
class CancelRequested(Request):
    """Cancel ``job`` after a confirm (its command and state are shown in the question)."""

    what: ClassVar[str] = "cancel"
    job: Job


@dataclass
class PurgeRequested(Request):
    """Open the purge dialog, preset to ``view`` when that is a finished state."""

    what: ClassVar[str] = "purge"
    view: JobState | None


class EnqueueRequested(Request):
    """Open the new-job dialog; its spec is enqueued."""

    what: ClassVar[str] = "new job"


@dataclass
class ConfigChangeRequested(Request):
    """Store ``value`` (already validated by the config screen) as config key ``name``."""

    what: ClassVar[str] = "edit"
    name: str
    value: str


class WorkersStartRequested(Request):
    """Start this console's own worker slots."""

    what: ClassVar[str] = "start hosted"


@dataclass
class WorkersScaleRequested(Request):
    """``step`` more (or fewer) hosted slots."""

    what: ClassVar[str] = "more slots"
    step: int


class WorkersStopRequested(Request):
    """Hosted slots stop claiming and exit after their running jobs."""

    what: ClassVar[str] = "stop hosted"


@dataclass
class SignalRequested(Request):
    """Pick a signal for a running job's process group (TERM and KILL are confirmed)."""

    what: ClassVar[str] = "signal"
    job_id: str
    command: str


@dataclass
class SchedulePauseRequested(Request):
    """Pause the schedule ``name`` (``paused``) or resume it (its next run counted from now)."""

    what: ClassVar[str] = "pause/resume"
    name: str
    paused: bool


@dataclass
class QueuePauseRequested(Request):
    """Pause (``paused``) or resume queue ``name``."""

    what: ClassVar[str] = "pause/resume"
    name: str
    paused: bool


@dataclass
class ScheduleRunRequested(Request):
    """Enqueue one job of the schedule ``name`` now."""

    what: ClassVar[str] = "run now"
    name: str


@dataclass
class ScheduleRemoveRequested(Request):
    """Remove the schedule ``name`` after a confirm (default No) that shows ``rule``."""

    what: ClassVar[str] = "remove"
    name: str
    rule: str


@dataclass
class QueueLimitRequested(Request):
    """Ask for queue ``name``'s concurrency limit (showing ``current``), then set it."""

    what: ClassVar[str] = "set limit"
    name: str
    current: int


@dataclass
class BulkRequested(Request):
    """Retry, cancel or purge what ``where`` matches, after a confirm that shows how many
    (``label`` says which jobs: "3 selected jobs", "failure group 3f2a9c1e0b7d")."""

    what: ClassVar[str] = "bulk action"
    action: BulkAction
    where: JobFilter
    label: str


# --- navigation: not writes ------------------------------------------------------------------
@dataclass
class DetailRequested(Request):
    write: ClassVar[bool] = False
    job_id: str
    follow: bool = False


class ConfigScreenRequested(Request):
    write: ClassVar[bool] = False


class WorkersScreenRequested(Request):
    write: ClassVar[bool] = False


class ProcessesScreenRequested(Request):
    write: ClassVar[bool] = False


class SchedulesScreenRequested(Request):
    write: ClassVar[bool] = False


class QueuesScreenRequested(Request):
    write: ClassVar[bool] = False


class HelpRequested(Request):
    write: ClassVar[bool] = False


@dataclass
class GroupJobsRequested(Request):
    """Leave the failures view and show ``group``'s jobs in the job table."""

    write: ClassVar[bool] = False
    group: FailureGroup


class FailuresScreenRequested(Request):
    """Open the failures view; a group picked there filters the job table."""

    write: ClassVar[bool] = False


class QuitRequested(Request):
    """Leave, asking first when this console's own workers are running jobs."""

    write: ClassVar[bool] = False


#: Key actions (binding names) that write or start/stop workers: greyed out in --readonly.
WRITE_ACTIONS = frozenset(
    {
        "retry",
        "retry_all",
        "cancel",
        "purge",
        "enqueue",
        "edit",
        "save",
        "start",
        "stop",
        "scale",
        "signal",
        "pause_schedule",
        "run_schedule",
        "remove_schedule",
        "pause",
        "limit",
    }
)
