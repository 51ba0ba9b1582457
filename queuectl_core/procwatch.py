"""The worker's side of the process view: publish samples, deliver operator signals.

Called once per heartbeat (``WorkerPool._beat``), which also runs at once when the store wakes
the worker with a control message, as ``request_signal`` does: a signal is delivered within
milliseconds on one host (SQLite wake datagrams, PostgreSQL NOTIFY) and within one heartbeat
interval otherwise.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from queuectl_core.executor import Execution
from queuectl_core.processes import SignalAck, SignalRequest
from queuectl_core.sampling import Sampler
from queuectl_core.store.base import ProcessStore

log = logging.getLogger("queuectl.worker")


class ProcessWatch:
    """Samples the pool's running commands and answers signal requests for them."""

    def __init__(
        self, store: ProcessStore, worker_id: str, executions: Mapping[str, Execution]
    ) -> None:
        self._store = store
        self._worker_id = worker_id
        self._executions = executions
        self._sampler = Sampler(store.now)
        self._published = False

    async def beat(self) -> None:
        """Publish the samples (skipped while idle and nothing is left to clear) and deliver."""
        groups = {
            job_id: (e.job.runs, e.child.pid)
            for job_id, e in self._executions.items()
            if e.child is not None and e.child.running
        }
        if not groups and not self._published:
            return
        samples = self._sampler.sample(groups)
        requests = await self._store.publish_processes(self._worker_id, samples)
        self._published = bool(samples)
        if requests:
            await self._store.ack_signals([self._deliver(r) for r in requests])

    def _deliver(self, request: SignalRequest) -> SignalAck:
        execution = self._executions.get(request.job_id)
        child = None if execution is None else execution.child
        if execution is None or execution.job.runs != request.run or child is None:
            return SignalAck(request.id, "the job is no longer running on this worker")
        if not child.running:
            return SignalAck(request.id, "the job's command has already exited")
        child.signal_group(request.signal.number)
        log.info(
            "job %s: %s sent to process group %d by an operator",
            request.job_id,
            request.signal.full_name,
            child.pid,
        )
        return SignalAck(request.id, None)
