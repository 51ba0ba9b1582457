"""The lifecycle policy on its own: every ending of an attempt, every state predicate."""

from __future__ import annotations

import pytest

from queuectl_core.config import Config
from queuectl_core.lifecycle import (
    CANCELLABLE_STATES,
    CLAIMABLE_STATES,
    FINAL_STATES,
    RETRYABLE_STATES,
    STOP_ERRORS,
    Budget,
    OutcomeKind,
    decide,
    gone_error,
    is_cancellable,
    is_claimable,
    is_final,
    is_retryable,
    kind_of,
    lost_error,
    refusal,
    spends_attempt,
)
from queuectl_core.models import JobState, Outcome
from queuectl_core.store import (
    postgres_schema,
    postgres_sql,
    postgres_worker_sql,
    sqlite_schema,
    sqlite_sql,
    sqlite_worker_sql,
)

NOW = 1_000.0
CONFIG = Config(backoff_base=2.0, backoff_max=3600.0)
FAILING = (OutcomeKind.FAILED, OutcomeKind.TIMED_OUT, OutcomeKind.LEASE_LOST)


@pytest.mark.parametrize(("attempts", "retries"), [(1, 3), (2, 3), (4, 3), (1, 0), (9, 2)])
def test_success_completes_whatever_the_budget(attempts: int, retries: int) -> None:
    # PostgreSQL's all-success batch (postgres_worker_sql.FINISH_OK_AND_CLAIM) relies on this.
    fate = decide(Budget(attempts, retries), OutcomeKind.OK, CONFIG, NOW)
    assert (fate.state, fate.run_at, fate.spent) == (JobState.COMPLETED, None, True)


@pytest.mark.parametrize("kind", FAILING)
@pytest.mark.parametrize("attempts", [1, 2, 3])
def test_a_failure_with_retries_left_waits_out_its_backoff(
    kind: OutcomeKind, attempts: int
) -> None:
    fate = decide(Budget(attempts, 3), kind, CONFIG, NOW)
    assert fate.state == JobState.FAILED
    assert fate.run_at == NOW + 2.0**attempts
    assert fate.spent


@pytest.mark.parametrize("kind", FAILING)
@pytest.mark.parametrize(("attempts", "retries"), [(1, 0), (4, 3), (5, 3)])
def test_a_failure_with_no_retries_left_is_dead(
    kind: OutcomeKind, attempts: int, retries: int
) -> None:
    fate = decide(Budget(attempts, retries), kind, CONFIG, NOW)
    assert (fate.state, fate.run_at, fate.spent) == (JobState.DEAD, None, True)


def test_the_backoff_is_capped() -> None:
    fate = decide(Budget(11, 20), OutcomeKind.FAILED, Config(backoff_max=60.0), NOW)
    assert fate.run_at == NOW + 60.0


def test_an_interrupted_attempt_is_released_and_not_spent() -> None:
    for attempts in (1, 4):  # even the last attempt: it did not run to an end
        fate = decide(Budget(attempts, 3), OutcomeKind.INTERRUPTED, CONFIG, NOW)
        assert (fate.state, fate.run_at, fate.spent) == (JobState.PENDING, NOW, False)
    assert not spends_attempt(OutcomeKind.INTERRUPTED)
    assert all(spends_attempt(k) for k in OutcomeKind if k is not OutcomeKind.INTERRUPTED)


def test_a_cancelled_attempt_leaves_the_job_cancelled() -> None:
    fate = decide(Budget(1, 3), OutcomeKind.CANCELLED, CONFIG, NOW)
    assert fate.state == JobState.CANCELLED and fate.run_at is None


def test_every_kind_has_a_decision() -> None:
    for kind in OutcomeKind:
        assert decide(Budget(1, 0), kind, CONFIG, NOW).state in JobState


def test_outcomes_map_to_kinds() -> None:
    assert kind_of(Outcome(0, None)) is OutcomeKind.OK
    assert kind_of(Outcome(3, None)) is OutcomeKind.FAILED
    assert kind_of(Outcome(0, "timed out after 1s")) is OutcomeKind.FAILED
    assert kind_of(Outcome(None, "could not start")) is OutcomeKind.FAILED


def test_state_predicates_match_their_sets() -> None:
    for state in JobState:
        assert is_claimable(state) == (state in CLAIMABLE_STATES)
        assert is_cancellable(state) == (state in CANCELLABLE_STATES)
        assert is_retryable(state) == (state in RETRYABLE_STATES)
        assert is_final(state) == (state in FINAL_STATES)
    assert set(CLAIMABLE_STATES) == {JobState.PENDING, JobState.FAILED}
    assert set(FINAL_STATES) == {JobState.COMPLETED, JobState.DEAD, JobState.CANCELLED}
    assert not is_retryable(JobState.PENDING) and not is_retryable(JobState.PROCESSING)
    assert is_cancellable(JobState.PROCESSING) and not is_cancellable(JobState.DEAD)


def test_every_state_is_final_or_still_owes_work() -> None:
    unfinished = {JobState.PENDING, JobState.FAILED, JobState.PROCESSING}
    assert {s for s in JobState if not is_final(s)} == unfinished


def test_error_texts() -> None:
    assert lost_error(30.0) == "worker lost (no heartbeat for 30s)"
    assert lost_error(0.5) == "worker lost (no heartbeat for 0.5s)"
    assert gone_error("w1") == "worker lost (process of w1 is gone)"
    assert STOP_ERRORS[OutcomeKind.CANCELLED] == "cancelled"
    text = refusal("a", JobState.DEAD, CANCELLABLE_STATES, "cancelled")
    assert text == "job 'a' is dead; only pending, failed, processing jobs can be cancelled"


def test_the_stores_statements_take_their_state_sets_from_the_policy() -> None:
    # The released migrations spell the claimable set literally in their partial indexes; the
    # statements built from lifecycle must read the same, or the planner (and SQLite's
    # INDEXED BY) could not use those indexes.
    index = "WHERE state IN ('pending', 'failed')"
    assert index in "".join(sqlite_schema.MIGRATIONS)
    assert index in "".join(postgres_schema.MIGRATIONS)
    for sql, claims in ((sqlite_sql, sqlite_worker_sql), (postgres_sql, postgres_worker_sql)):
        assert sql.CLAIMABLE == "('pending', 'failed')"
        assert f"state IN {sql.CLAIMABLE}" in claims.CLAIM
        assert f"state IN {sql.CLAIMABLE}" in sql.NEXT_DUE
        assert f"state IN {sql.UNFINISHED}" in sql.UNFINISHED_IN
        assert set(sql.UNFINISHED.strip("()").replace("'", "").split(", ")) == {
            "pending",
            "failed",
            "processing",
        }
