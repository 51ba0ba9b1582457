"""Enqueue input: the ``after`` and ``unique_key`` fields (DESIGN §10)."""

import pytest

from queuectl_core.errors import InvalidInput
from queuectl_core.validation import parse_job


def test_after_takes_one_id_or_a_list_and_drops_repeats() -> None:
    assert parse_job('{"command": "x", "after": "a"}').after == ("a",)
    assert parse_job('{"command": "x", "after": ["a", "b", "a"]}').after == ("a", "b")
    assert parse_job('{"command": "x", "after": []}').after == ()
    assert parse_job('{"command": "x", "after": null}').after == ()


def test_unique_key() -> None:
    assert parse_job('{"command": "x", "unique_key": "nightly"}').unique_key == "nightly"
    assert parse_job('{"command": "x"}').unique_key is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"command": "x", "after": 3}', "after must be a job id or a list of job ids, got 3"),
        ('{"command": "x", "after": {"a": 1}}', "after must be a job id or a list of job ids"),
        ('{"command": "x", "after": [1]}', "after id must be a non-empty string"),
        ('{"command": "x", "after": [""]}', "after id must be a non-empty string"),
        ('{"command": "x", "after": ["a b"]}', "after id must not contain whitespace"),
        ('{"command": "x", "id": "s", "after": ["t", "s"]}', "job 's' cannot run after itself"),
        ('{"command": "x", "unique_key": ""}', "unique_key must be a string of 1-200 characters"),
        ('{"command": "x", "unique_key": 7}', "unique_key must be a string of 1-200 characters"),
        ('{"command": "x", "unique_key": "' + "k" * 201 + '"}', "unique_key must be a string"),
    ],
)
def test_bad_values_are_one_line_errors(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match="^" + message) as caught:
        parse_job(text)
    assert "\n" not in str(caught.value)
