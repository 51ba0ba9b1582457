"""The worker pool: claim -> execute -> record, with heartbeats, recovery and graceful stop.

One process runs one pool with N slots. Its tasks are independent so none starves another:
the dispatcher records every ended attempt (``WorkerPool._record`` queues it, whatever the outcome,
an interrupted release included) and claims for idle slots in one transaction; each job runs in
its own task; the heartbeat renews leases and learns of cancels and stop
requests; the flusher saves live output every half second; the recovery task returns jobs of
dead workers, even while every slot is busy; the retention sweep deletes old finished jobs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
from collections import deque
from collections.abc import Sequence

from queuectl_core.config import Config
from queuectl_core.errors import QueueError, StoreUnavailable
from queuectl_core.executor import Environment, Execution, execute
from queuectl_core.ids import new_worker_id
from queuectl_core.lifecycle import Ended, OutcomeKind, spends_attempt
from queuectl_core.models import Finish, Job, JobState, Outcome, WorkerInfo
from queuectl_core.output import BoundedOutput
from queuectl_core.procwatch import ProcessWatch
from queuectl_core.reaper_handle import Reaper
from queuectl_core.schedules import Firer
from queuectl_core.store.base import Store
from queuectl_core.supervisor import Journal
from queuectl_core.upkeep import Upkeep, every
from queuectl_core.waits import wait_event
from queuectl_core.wake import WakeKind
from queuectl_core.worklog import report_finished

log = logging.getLogger("queuectl.worker")
RETRY_DELAYS = (0.1, 0.25, 0.5, 1.0, 2.0, 5.0)
#: Claim ahead only while jobs take less than this (seconds, moving average), and only as many
#: as the slots finish in about that time: a buffered job waits at most ~AHEAD_WAIT, and jobs
#: long enough for another worker to want them are never hoarded.
AHEAD_WAIT = 0.1
AHEAD_PER_SLOT = 8
#: While buffered jobs keep every slot busy, a result waits up to this long (seconds) to share
#: its commit with others: one transaction per job cost ~155 us of worker CPU, one per four ~70.
RECORD_LINGER = 0.005


class WorkerPool:
    """N concurrent slots in this process, serving ``queues`` (all when None)."""

    def __init__(
        self,
        store: Store,
        *,
        slots: int = 1,
        queues: Sequence[str] | None = None,
        drain: bool = False,
        worker_id: str | None = None,
        reap: bool = True,
        pid: int | None = None,
        journal: Journal | None = None,
    ) -> None:
        self.store = store
        self.slots = slots
        self.queues = tuple(queues) if queues else None
        self.drain = drain
        self.worker_id = worker_id or new_worker_id()
        self.config = Config()
        self._executions: dict[str, Execution] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._ended: list[Ended] = []
        #: Executions whose command is a zombie until its result (in ``_ended``) is committed.
        self._zombies: list[Execution] = []
        self._journal = journal
        self._pid = pid or os.getpid()
        # A test hook: SIGKILL this worker right between that job's exit and its record.
        self._die_at_record = os.environ.get("QUEUECTL_TEST_DIE_AT_RECORD")
        #: Claimed ahead, not started yet (leased to us; released if we stop).
        self._ready: deque[Job] = deque()
        self._typical = 1.0  # moving average of job durations (s): no claim-ahead at first
        self._wake = asyncio.Event()
        self._linger: asyncio.TimerHandle | None = None
        self._beat_now = asyncio.Event()
        self._stopping = False
        self._interrupt = False
        self._reap = reap
        self._reaper: Reaper | None = None
        self._env = Environment(None)
        self.jobs_done = 0
        self._registered_slots = slots
        self._procs = ProcessWatch(store, self.worker_id, self._executions)
        self._firer = Firer(store)

    @property
    def running(self) -> list[str]:
        """Ids of the jobs running in this pool now."""
        return list(self._executions)

    def stop(self, *, interrupt: bool = False) -> None:
        """Stop claiming; let running jobs finish, or with ``interrupt`` kill and release them."""
        self._stopping = True
        while self._ready:  # never started: give them back without spending an attempt
            job = self._ready.popleft()
            outcome = Outcome(None, "interrupted")
            finish = Finish(job.id, self.worker_id, job.runs, outcome)
            self._ended.append(Ended(OutcomeKind.INTERRUPTED, finish))
        if interrupt and not self._interrupt:
            self._interrupt = True
            for execution in self._executions.values():
                execution.kill(OutcomeKind.INTERRUPTED)
        self._wake.set()

    def resize(self, slots: int) -> None:
        """Change the number of slots; extra running jobs finish before the pool shrinks."""
        self.slots = max(0, slots)
        self._wake.set()
        self._beat_now.set()  # the heartbeat re-registers the new slot count

    def _on_wake(self, kind: WakeKind) -> None:
        if kind is WakeKind.CONTROL:
            self._beat_now.set()
        else:
            self._wake.set()
            self._firer.wake()  # a schedule added or resumed sends the same wake-up

    async def run(self) -> None:
        """Serve until stopped (or, with ``drain``, until nothing is left to do)."""
        info = await self._set_up()
        # Due fire times become jobs before the first claim, so a draining worker runs them too
        # (it never waits for a later fire: DECISIONS.md, "Schedules").
        self._firer.poll = self.config.poll_interval_ms / 1000
        with contextlib.suppress(QueueError):
            await self._firer.fire_due()
        upkeep = Upkeep(self.store, self.worker_id, self._executions, lambda: self.config)
        helpers = [
            asyncio.create_task(self._firer.run()),
            asyncio.create_task(every(self._beat, self._beat_delay, self._beat_now)),
            *upkeep.tasks(),
        ]
        log.info(
            "worker %s started: %d slots, queues: %s",
            self.worker_id,
            self.slots,
            ",".join(self.queues) if self.queues else "all",
        )
        try:
            await self._dispatch()
        finally:
            for task in [*helpers, *self._tasks]:
                task.cancel()
            await asyncio.gather(*helpers, *self._tasks, return_exceptions=True)
            # Zombies are left only on an error exit: recovery handles their jobs.
            self._reap_committed(self._zombies)
            await self._shutdown(info)

    async def _set_up(self) -> WorkerInfo:
        """Start the reaper (before any job), read the config, register and listen."""
        self._reaper = Reaper(self.worker_id) if self._reap else None
        self.config = await self.store.get_config()
        info = self._info()
        await self.store.register_worker(info)
        await self.store.listen(self.worker_id, self._on_wake)
        self._env = Environment(None if self._reaper is None else self._reaper.tag)
        return info

    async def _shutdown(self, info: WorkerInfo) -> None:
        if self._reaper is not None:
            self._reaper.release()  # its last /proc scan overlaps the store's goodbyes
        with contextlib.suppress(QueueError):
            await self.store.unlisten()
            await self.store.deregister_worker(info.id)
        if self._reaper is not None:
            self._reaper.close()
        log.info("worker %s stopped after %d jobs", self.worker_id, self.jobs_done)

    # --- claiming ---------------------------------------------------------------------------
    async def _dispatch(self) -> None:
        """Record what ended and claim for idle slots, until stopped and every result is in."""
        failures = 0
        while True:
            self._wake.clear()
            if self._linger is not None:
                self._linger.cancel()
                self._linger = None
            ended, self._ended = self._ended, []
            zombies, self._zombies = self._zombies, []
            free = self._wanted()
            jobs: list[Job] = []
            if ended or free > 0:
                try:
                    jobs = await self._record_and_claim(ended, free)
                    failures = 0
                    self._reap_committed(zombies)
                except StoreUnavailable as exc:
                    failures += 1
                    self._ended = ended + self._ended
                    self._zombies = zombies + self._zombies
                    log.warning("store unavailable, retrying: %s", exc)
                    await asyncio.sleep(RETRY_DELAYS[min(failures, len(RETRY_DELAYS) - 1)])
                    continue
                if self._stopping:  # stopped during the claim: give them back
                    self._ready.extend(jobs)
                    self.stop()
                    continue
                self._ready.extend(jobs)
                self._fill()
                if free > 0 and len(jobs) == free:
                    continue
            if self._stopping and not self._executions and not self._ended:
                return
            timeout = None
            if len(self._executions) < self.slots and not self._stopping and not jobs:
                if await self._drained():
                    return
                timeout = await self._idle_timeout()
            await self._sleep(timeout)

    def _reap_committed(self, executions: list[Execution]) -> None:
        """Their results are committed: the exit statuses are no longer needed."""
        pids = []
        for execution in executions:
            if execution.child is not None:
                execution.child.reap()
                pids.append(execution.child.pid)
        if self._journal is not None and pids:
            self._journal.reaped(pids)

    def _wanted(self) -> int:
        """How many jobs to claim now: one per idle slot, plus some ahead when jobs are short."""
        if self._stopping:
            return 0
        ahead = min(AHEAD_PER_SLOT, int(AHEAD_WAIT / self._typical)) * self.slots
        return max(0, self.slots + ahead - len(self._executions) - len(self._ready))

    def _fill(self) -> None:
        """Start buffered jobs on idle slots."""
        while self._ready and len(self._executions) < self.slots and not self._stopping:
            self._start(self._ready.popleft())

    async def _record_and_claim(self, ended: list[Ended], free: int) -> list[Job]:
        """Release interrupted attempts, record the rest and claim up to ``free`` jobs.

        Each call is idempotent under fencing, so a retry after a store outage is harmless.
        """
        for item in ended:
            if not spends_attempt(item.kind):
                release = item.finish
                await self.store.release(release.job_id, release.worker_id, release.run)
        spent = [item for item in ended if spends_attempt(item.kind)]
        owned, jobs = await self.store.finish_and_claim(
            [item.finish for item in spent],
            self.worker_id,
            self.queues,
            free,
            self.config.lease_timeout,
        )
        report_finished(spent, owned)
        return jobs

    async def _drained(self) -> bool:
        if not self.drain or self._executions or self._ended or self._ready:
            return False
        try:
            return not await self.store.has_unfinished(self.queues)
        except StoreUnavailable:
            return False

    async def _idle_timeout(self) -> float:
        timeout = self.config.poll_interval_ms / 1000
        with contextlib.suppress(StoreUnavailable):
            due = await self.store.next_due(self.queues)
            if due is not None:
                timeout = min(timeout, max(0.0, due - self.store.now()) + 0.001)
        return timeout

    async def _sleep(self, timeout: float | None) -> None:
        await wait_event(self._wake, timeout)

    # --- running ----------------------------------------------------------------------------
    def _start(self, job: Job) -> None:
        limit = self.config.output_limit
        execution = Execution(job, BoundedOutput(limit), BoundedOutput(limit))
        self._executions[job.id] = execution
        log.debug("job %s started (attempt %d/%d)", job.id, job.attempts, job.max_attempts)
        task = asyncio.create_task(self._run_job(execution))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run_job(self, execution: Execution) -> None:
        loop = asyncio.get_running_loop()
        began = loop.time()
        try:
            outcome = await execute(execution, self._env, self._journal)
        except Exception as exc:  # a bug here must not kill the pool; the job fails visibly
            log.exception("job %s: executor error", execution.job.id)
            outcome = Outcome(None, f"worker error: {exc}")
        self._typical = 0.8 * self._typical + 0.2 * (loop.time() - began)
        self._record(execution, outcome)
        self._fill()

    def _record(self, execution: Execution, outcome: Outcome) -> None:
        """The single record point: every ended attempt is queued here for the dispatcher.

        Synchronous on purpose: the job leaves ``_executions`` and enters ``_ended`` in one step,
        so the dispatcher can never see it in neither and exit with its result unrecorded.
        """
        job = execution.job
        if job.id == self._die_at_record:
            os.kill(os.getpid(), signal.SIGKILL)
        del self._executions[job.id]
        self._zombies.append(execution)
        kind = execution.kind(outcome)
        if spends_attempt(kind):
            self.jobs_done += 1
        ran = None if job.started_at is None else max(0.0, self.store.now() - job.started_at)
        self._ended.append(Ended(kind, Finish(job.id, self.worker_id, job.runs, outcome, ran)))
        self._commit_soon()

    def _commit_soon(self) -> None:
        """Wake the dispatcher now when a claim or a full batch is due, else within the linger.

        Buffered jobs refill slots without the dispatcher (``_fill``), so while the buffer outlasts
        the linger a result can wait for company; it stays a zombie until committed, so a crash
        in between loses nothing (the supervisor reads its exit status).
        """
        # The buffer is low when it holds no more than a round of jobs (a claim sent then is
        # back before the slots have taken them) and no more than the slots finish within the
        # linger (below one for jobs longer than the linger: then any buffered job will do).
        low = min(self.slots, self.slots * RECORD_LINGER / self._typical)
        if len(self._ended) >= self.slots or len(self._ready) <= low or self._stopping:
            self._wake.set()
        elif self._linger is None:
            self._linger = asyncio.get_running_loop().call_later(RECORD_LINGER, self._wake.set)

    # --- heartbeat (flush, recovery and retention are in upkeep.py) ---------------------------
    def _beat_delay(self) -> float:
        return self.config.heartbeat_interval

    def _info(self) -> WorkerInfo:
        self._registered_slots = self.slots
        host = socket.gethostname()
        return WorkerInfo(self.worker_id, host, self._pid, self.slots, self.queues or (), 0, 0)

    async def _beat(self) -> None:
        if self.slots != self._registered_slots:
            await self.store.register_worker(self._info())
        held = [e.job for e in self._executions.values()] + list(self._ready)
        running = [(job.id, job.runs) for job in held]
        beat = await self.store.heartbeat(self.worker_id, running, self.config.lease_timeout)
        if beat.lost_jobs:  # buffered jobs cancelled or taken back: just forget them
            self._ready = deque(j for j in self._ready if j.id not in beat.lost_jobs)
        for job_id in beat.lost_jobs:
            execution = self._executions.get(job_id)
            if execution is not None:
                current = await self.store.get_job(job_id)
                cancelled = current is not None and current.state == JobState.CANCELLED
                execution.kill(OutcomeKind.CANCELLED if cancelled else OutcomeKind.LEASE_LOST)
        if beat.stop_requested and not self._stopping:
            log.info("stop requested through the store")
            self.stop()
        self.config = await self.store.get_config()
        await self._procs.beat()
