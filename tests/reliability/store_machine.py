"""A hypothesis state machine over the ``Store`` API, with an injected clock.

Rules drive the store the way workers and operators do, including stale callers (a worker
finishing a run it lost). After every step the invariants are checked against the store itself:
each job in exactly one state, attempts within 1 + max_retries, dead only after the retries are
spent, counts equal to the listed jobs, attempt history consistent with the job.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from queuectl_core.errors import DuplicateJob, InvalidInput, InvalidState, JobNotFound
from queuectl_core.lifecycle import (
    CANCELLABLE_STATES,
    CLAIMABLE_STATES,
    FINAL_STATES,
    OutcomeKind,
    decide,
    kind_of,
)
from queuectl_core.models import Finish, Job, JobSpec, JobState, Outcome
from queuectl_core.store import Store
from queuectl_core.store.open import open_store

T = TypeVar("T")
LEASE = 30.0
WORKERS = ("w1", "w2")
START = 1_800_000_000.0
CONFIG_VALUES = {
    "max_retries": ["0", "1", "2", "-1", "x"],
    "backoff_base": ["1", "2", "3", "0.5"],
    "backoff_max": ["1", "10", "0"],
    "lease_timeout": ["5", "30", "0.5"],
    "heartbeat_interval": ["1", "2", "60"],
}


class StoreMachine(RuleBasedStateMachine):
    """Subclasses set ``make_url`` (returns the URL and an async cleanup)."""

    make_url: Callable[[], Awaitable[tuple[str, Callable[[], Awaitable[None]]]]]

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.now = START
        url, self.cleanup = self.run(type(self).make_url())
        self.store: Store = self.run(open_store(url, clock=lambda: self.now))
        # Short backoffs, so recovered jobs are claimed again (by another run) within a few steps.
        self.run(self.store.set_config("backoff_base", "1"))
        self.ids: set[str] = set()
        self.held: list[tuple[str, str, int]] = []  # (job id, worker, run) ever claimed
        self.serial = 0

    def run(self, coro: Awaitable[T]) -> T:
        return self.loop.run_until_complete(coro)

    def teardown(self) -> None:
        try:
            self.run(self.store.close())
            self.run(self.cleanup())
        finally:
            self.loop.close()

    def jobs(self) -> dict[str, Job]:
        return {j.id: j for j in self.run(self.store.list_jobs())}

    # --- producers ---------------------------------------------------------------------------
    @rule(
        count=st.integers(1, 3),
        retries=st.integers(0, 2) | st.none(),
        priority=st.integers(-1, 1),
        duplicate=st.booleans(),
    )
    def enqueue(self, count: int, retries: int | None, priority: int, duplicate: bool) -> None:
        specs = []
        for _ in range(count):
            self.serial += 1
            specs.append(JobSpec(f"echo {self.serial}", f"j{self.serial:03d}", retries, priority))
        if duplicate and self.ids:
            specs.append(JobSpec("echo dup", sorted(self.ids)[0]))
            before = self.jobs()
            try:
                self.run(self.store.enqueue(specs))
            except DuplicateJob:
                assert self.jobs() == before, "a refused enqueue changed the store"
                return
            raise AssertionError("duplicate id accepted")
        jobs = self.run(self.store.enqueue(specs))
        assert [j.state for j in jobs] == [JobState.PENDING] * count
        self.ids.update(j.id for j in jobs)

    # --- workers -----------------------------------------------------------------------------
    @rule(worker=st.sampled_from(WORKERS), limit=st.integers(1, 3))
    def claim(self, worker: str, limit: int) -> None:
        before = self.jobs()
        ready = sorted(
            (j for j in before.values() if j.state in CLAIMABLE_STATES),
            key=lambda j: (-j.priority, list(before).index(j.id)),
        )
        due = [j.id for j in ready if j.run_at <= self.now]
        claimed = self.run(self.store.claim(worker, None, limit, LEASE))
        assert [j.id for j in claimed] == due[:limit], (claimed, due)
        for job in claimed:
            old = before[job.id]
            assert job.state == JobState.PROCESSING and job.worker_id == worker
            assert job.attempts == old.attempts + 1 and job.runs == old.runs + 1
            self.held.append((job.id, worker, job.runs))

    def _owned(self, job_id: str, worker: str, run: int) -> bool:
        job = self.run(self.store.get_job(job_id))
        return (
            job is not None
            and job.state == JobState.PROCESSING
            and job.worker_id == worker
            and job.runs == run
        )

    def _pick_held(self, data: st.DataObject) -> tuple[str, str, int]:
        """Mostly a recent claim (likely still owned), sometimes any (likely stale)."""
        return data.draw(st.sampled_from(self.held[-3:]) | st.sampled_from(self.held))

    @precondition(lambda self: self.held)
    @rule(data=st.data(), ok=st.booleans())
    def finish(self, data: st.DataObject, ok: bool) -> None:
        job_id, worker, run = self._pick_held(data)
        owned = self._owned(job_id, worker, run)
        before = self.run(self.store.get_job(job_id))
        config = self.run(self.store.get_config())
        outcome = Outcome(0, None, "out", "") if ok else Outcome(3, "exit 3", "", "err")
        assert self.run(self.store.finish([Finish(job_id, worker, run, outcome)])) == [owned]
        after = self.run(self.store.get_job(job_id))
        if not owned:
            assert after == before, "a fenced finish changed the job"
            return
        assert before is not None and after is not None
        fate = decide(before, kind_of(outcome), config, self.now)
        self._check_fate(before, after, fate.state, fate.run_at)
        assert after.exit_code == outcome.exit_code and after.last_error == outcome.error
        assert after.attempts == before.attempts and after.lease_expires_at is None

    @staticmethod
    def _check_fate(before: Job, after: Job, state: JobState, run_at: float | None) -> None:
        """The store applied the decided transition: state, and run time (None keeps it)."""
        assert after.state == state, (before, after, state)
        expected = before.run_at if run_at is None else run_at
        assert abs(after.run_at - expected) < 1e-3, (before, after, run_at)

    @rule(worker=st.sampled_from(WORKERS))
    def heartbeat(self, worker: str) -> None:
        # A worker runs at most one run of a job: its latest claim of it.
        latest = {j: r for j, w, r in self.held if w == worker}
        expected_lost = {j for j, r in latest.items() if not self._owned(j, worker, r)}
        beat = self.run(self.store.heartbeat(worker, list(latest.items()), LEASE))
        assert beat.lost_jobs == expected_lost
        for job_id in set(latest) - expected_lost:
            job = self.run(self.store.get_job(job_id))
            assert job is not None and job.lease_expires_at == self.now + LEASE

    @precondition(lambda self: self.held)
    @rule(data=st.data())
    def release(self, data: st.DataObject) -> None:
        job_id, worker, run = self._pick_held(data)
        owned = self._owned(job_id, worker, run)
        before = self.run(self.store.get_job(job_id))
        assert self.run(self.store.release(job_id, worker, run)) == owned
        after = self.run(self.store.get_job(job_id))
        if owned:
            assert before is not None and after is not None
            fate = decide(
                before, OutcomeKind.INTERRUPTED, self.run(self.store.get_config()), self.now
            )
            self._check_fate(before, after, fate.state, fate.run_at)
            assert after.attempts == before.attempts - (0 if fate.spent else 1)
        else:
            assert after == before

    @rule(seconds=st.sampled_from([0.5, 2.0, 5.0]))
    def advance(self, seconds: float) -> None:
        self.now += seconds

    @rule(worker=st.sampled_from((None, *WORKERS)))
    def recover(self, worker: str | None) -> None:
        """Leases expired (worker None), or one worker known dead."""
        if worker is None:
            self.now += LEASE + 1
        before = self.jobs()
        lost = {
            i
            for i, j in before.items()
            if j.state == JobState.PROCESSING and worker in (None, j.worker_id)
        }
        dead = () if worker is None else (worker,)
        assert set(self.run(self.store.recover(dead))) == lost
        self._check_lost(before, lost)

    def _check_lost(self, before: dict[str, Job], job_ids: set[str]) -> None:
        jobs = self.jobs()
        config = self.run(self.store.get_config())
        for job_id in job_ids:
            job = jobs[job_id]
            fate = decide(before[job_id], OutcomeKind.LEASE_LOST, config, self.now)
            self._check_fate(before[job_id], job, fate.state, fate.run_at)
            assert job.last_error is not None and job.last_error.startswith("worker lost")

    # --- operators ---------------------------------------------------------------------------
    @rule(data=st.data(), every=st.booleans())
    def dlq_retry(self, data: st.DataObject, every: bool) -> None:
        if every or not self.ids:
            self._retry_all_dead()
            return
        job_id = data.draw(st.sampled_from(sorted(self.ids)))
        before = self.run(self.store.get_job(job_id))
        assert before is not None
        if before.state != JobState.DEAD:
            try:
                self.run(self.store.retry([job_id], dead_only=True))
            except InvalidState:
                assert self.run(self.store.get_job(job_id)) == before
                return
            raise AssertionError(f"retried a {before.state} job")
        (job,) = self.run(self.store.retry([job_id], dead_only=True))
        assert job.state == JobState.PENDING and job.attempts == 0 and job.run_at == self.now

    def _retry_all_dead(self) -> None:
        dead = {i for i, j in self.jobs().items() if j.state == JobState.DEAD}
        assert self.run(self.store.retry_all_dead()) == len(dead)
        jobs = self.jobs()
        assert all(jobs[i].state == JobState.PENDING and jobs[i].attempts == 0 for i in dead)

    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        job_id = data.draw(st.sampled_from([*sorted(self.ids), "no-such-job"]))
        before = self.run(self.store.get_job(job_id))
        try:
            (job,) = self.run(self.store.cancel([job_id]))
        except JobNotFound:
            assert before is None
            return
        except InvalidState:
            assert before is not None and before.state not in CANCELLABLE_STATES
            assert self.run(self.store.get_job(job_id)) == before
            return
        assert before is not None and before.state in CANCELLABLE_STATES
        assert job.state == JobState.CANCELLED

    @rule(key=st.sampled_from(sorted(CONFIG_VALUES)), data=st.data())
    def set_config(self, key: str, data: st.DataObject) -> None:
        value = data.draw(st.sampled_from(CONFIG_VALUES[key]))
        before = self.run(self.store.get_config())
        try:
            after = self.run(self.store.set_config(key.replace("_", "-"), value))
        except InvalidInput:
            assert self.run(self.store.get_config()) == before
            return
        assert float(getattr(after, key)) == float(value)
        assert after.lease_timeout > after.heartbeat_interval
        assert self.run(self.store.get_config()) == after

    @rule(states=st.lists(st.sampled_from(FINAL_STATES), min_size=1, unique=True))
    def purge(self, states: list[JobState]) -> None:
        doomed = {i for i, j in self.jobs().items() if j.state in states}
        assert self.run(self.store.purge(states, self.now + 1)) == len(doomed)
        self.ids -= doomed
        assert not doomed & set(self.jobs())

    # --- invariants --------------------------------------------------------------------------
    @invariant()
    def store_is_consistent(self) -> None:
        jobs = self.jobs()
        assert set(jobs) == self.ids
        self._check_states(jobs)
        for job in jobs.values():
            self._check_job(job)

    def _check_states(self, jobs: dict[str, Job]) -> None:
        """Each job in exactly one state; counts() equals the jobs listed per state."""
        per_state = {s: [j.id for j in self.run(self.store.list_jobs(state=s))] for s in JobState}
        seen = Counter(i for ids in per_state.values() for i in ids)
        assert set(seen) == self.ids and set(seen.values()) <= {1}, seen
        counts = self.run(self.store.counts())
        assert counts == {s: len(ids) for s, ids in per_state.items()}, counts
        assert counts == {s: sum(j.state == s for j in jobs.values()) for s in JobState}

    def _check_job(self, job: Job) -> None:
        """Attempts within 1 + max_retries, dead only when spent, history matching the job."""
        assert 0 <= job.attempts <= job.max_attempts, job
        assert job.attempts <= job.runs
        if job.state == JobState.DEAD:
            assert job.attempts >= job.max_attempts, job
        processing = job.state == JobState.PROCESSING
        assert processing == (job.lease_expires_at is not None), job
        assert job.worker_id is not None or not processing
        history: list[Any] = self.run(self.store.attempts(job.id))
        assert [a.attempt for a in history] == list(range(1, job.runs + 1)), (job, history)
        open_runs = [a.attempt for a in history if a.finished_at is None]
        assert open_runs == ([job.runs] if processing else []), (job, history)
