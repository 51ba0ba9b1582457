"""The bulk enqueue fast paths give exactly what the plain paths give."""

from __future__ import annotations

import pytest

import queuectl_core.ids as ids
from queuectl_core.errors import InvalidInput
from queuectl_core.validation import _decode_line, decode, parse_lines


@pytest.mark.parametrize(
    "line",
    [
        '{"command": "true"}',
        '{"command": "true", "priority": 2, "env": {"A": "b"}}',
        ' {"command": "true"}',
        '{"command": "true"}  ',
        '{"command": "a"}, {"command": "b"}',
        '{"command": "a"} {"command": "b"}',
        '{"command": "a"',
        '{"command": NaN}',
        '{"command": Infinity}',
        "[1, 2]",
        "null",
        "\u00a0{}",
        '{"command": "\\u0000"}',
        "[" * 100_000,
    ],
)
def test_decode_line_agrees_with_decode(line: str) -> None:
    try:
        expected: object = decode(line)
    except InvalidInput as exc:
        with pytest.raises(InvalidInput) as caught:
            _decode_line(line)
        assert str(caught.value) == str(exc)
    else:
        assert _decode_line(line) == expected


def test_line_errors_name_the_line() -> None:
    lines = ['{"command": "a"}', "", '{"command": "b"}, {"command": "c"}']
    with pytest.raises(InvalidInput, match=r"^line 3: malformed JSON: Extra data"):
        list(parse_lines(lines))


def test_bulk_ids_are_unique_and_ordered_with_single_ids() -> None:
    made = [ids.new_job_id(), *ids.new_job_ids(5000), ids.new_job_id(), *ids.new_job_ids(3)]
    assert len(set(made)) == len(made) and made == sorted(made)
    assert all(len(x) == 15 and x[8] == "-" for x in made)
    assert ids.new_job_ids(0) == []


def test_bulk_ids_carry_into_the_next_millisecond(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ids, "_RAND_SPACE", 36**2)  # a suffix space that runs out quickly
    made = [*ids.new_job_ids(3000), ids.new_job_id(), *ids.new_job_ids(10)]
    assert len(set(made)) == len(made) and made == sorted(made)
    assert len({x[:8] for x in made}) > 1
