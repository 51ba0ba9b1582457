"""What a dead worker's commands left: record the results of those that had exited.

Called by the supervisor (``queuectl_core.supervisor``) once its worker is gone. Results are
fenced like any other (the dead worker's id and the run), so one already committed, or a job
already recovered elsewhere, is left alone. The rest of the worker's jobs (commands killed with
it, jobs claimed ahead and never started) are recovered at once as "worker lost".
"""

from __future__ import annotations

from collections.abc import Sequence

from queuectl_core.executor import describe
from queuectl_core.models import Finish, Outcome
from queuectl_core.store.base import Store
from queuectl_core.supervisor import Exited


async def record_orphans(store: Store, worker_id: str, exited: Sequence[Exited]) -> list[str]:
    """Record what exited; recover the rest. Returns the ids whose result was recorded."""
    finishes = []
    for item in exited:
        # The output flushed while it ran: finishing with empty output would erase it.
        saved = await store.output(item.job_id, item.run)
        stdout, stderr = (saved.stdout, saved.stderr) if saved is not None else ("", "")
        ended = describe(item.returncode, None, None)
        outcome = Outcome(ended.exit_code, ended.error, stdout, stderr)
        finishes.append(Finish(item.job_id, worker_id, item.run, outcome))
    owned = await store.finish(finishes) if finishes else []
    await store.recover([worker_id])
    return [f.job_id for f, ok in zip(finishes, owned, strict=True) if ok]
