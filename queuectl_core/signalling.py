"""Send an operator's signal through the store and wait for the worker's answer.

Shared by ``queuectl signal`` and the console's process pane.
"""

from __future__ import annotations

import asyncio

from queuectl_core.errors import QueueError
from queuectl_core.processes import JobSignal, SignalStatus
from queuectl_core.store.base import ProcessStore

#: How often the answer is looked for (seconds).
POLL = 0.05


async def send_signal(
    store: ProcessStore, job_id: str, chosen: JobSignal, timeout: float
) -> SignalStatus:
    """Record the request, then wait until the worker answers, the run ends, or ``timeout``."""
    request = await store.request_signal(job_id, chosen)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        status = await store.signal_status(request)
        if status.acked or not status.running or loop.time() >= deadline:
            return status
        await asyncio.sleep(POLL)


def outcome(job_id: str, chosen: JobSignal, status: SignalStatus, timeout: float) -> str:
    """The line reporting a delivery; QueueError (one line) when it was not delivered."""
    if status.acked and status.error is None:
        return f"{chosen.full_name} delivered to job {job_id}"
    if status.acked:
        raise QueueError(f"{chosen.full_name} not delivered to job {job_id!r}: {status.error}")
    if not status.running:
        raise QueueError(f"job {job_id!r} ended before its worker delivered {chosen.full_name}")
    raise QueueError(
        f"{chosen.full_name} not delivered to job {job_id!r} within {timeout:g}s "
        "(is its worker alive?); the request stays open while the job runs"
    )
