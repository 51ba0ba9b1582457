"""The pure policy pieces: which endings spend an attempt, which retries follow an unknown one."""

from queuectl_core.lifecycle import (
    STOP_ERRORS,
    OutcomeKind,
    previous_outcome_unknown,
    spends_attempt,
)


def test_only_an_interrupted_attempt_is_given_back() -> None:
    assert [k for k in OutcomeKind if not spends_attempt(k)] == [OutcomeKind.INTERRUPTED]


def test_every_outside_stop_has_one_error_text() -> None:
    assert set(STOP_ERRORS) == {
        OutcomeKind.CANCELLED,
        OutcomeKind.LEASE_LOST,
        OutcomeKind.INTERRUPTED,
    }


def test_previous_outcome_is_unknown_only_after_a_lost_worker() -> None:
    assert previous_outcome_unknown("worker lost (no heartbeat for 30s)")
    assert previous_outcome_unknown("worker lost (process of vm-1-ab is gone)")
    assert not previous_outcome_unknown("exit 1")
    assert not previous_outcome_unknown(None)
