"""Hypothesis strategies for hostile enqueue input and config values."""

from __future__ import annotations

import json

from hypothesis import strategies as st

from queuectl_core.validation import FIELDS as JOB_FIELDS

FIELDS = sorted(JOB_FIELDS)

# Values that sit on the edges the parser must judge: huge and negative numbers, float
# specials, numeric strings, dates, durations, control characters and lone surrogates.
edge_text = st.sampled_from(
    [
        "",
        " ",
        "\t",
        "\x00",
        "\x1b[31m",
        "\ud800",
        "a\udcffb",
        "5m",
        "1.5h",
        "-1s",
        "30x",
        "2030-01-02T03:04:05Z",
        "2030-13-45",
        "9999999999999999",
        "1e309",
        "NaN",
        "default",
        "a" * 65,
        "x" * 201,
        "€",
        "[bold red]x[/]",
    ]
)
edge_numbers = st.sampled_from(
    [0, -1, 1, 2**31, 2**53, 2**53 + 1, 2**63, -(2**63), 10**30, 0.5, -0.0, 1e308, 1.0]
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    edge_numbers,
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
    edge_text,
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=6,
)
env_values = st.one_of(
    st.dictionaries(
        st.one_of(st.text(max_size=10), edge_text),
        st.one_of(st.text(max_size=10), edge_text),
        max_size=3,
    ),
    json_values,
)


@st.composite
def job_objects(draw: st.DrawFn) -> dict[str, object]:
    """Mostly job-shaped objects: a command, some known fields, sometimes an unknown one."""
    obj: dict[str, object] = {}
    if draw(st.integers(0, 9)):
        obj["command"] = draw(st.one_of(st.text(min_size=1, max_size=40), edge_text, json_values))
    for name in draw(st.lists(st.sampled_from(FIELDS[1:]), max_size=5, unique=True)):
        obj[name] = draw(env_values if name == "env" else json_values)
    if not draw(st.integers(0, 14)):
        obj[draw(st.text(min_size=1, max_size=10))] = draw(json_values)
    return obj


def encode(obj: object, ascii_only: bool) -> str:
    """JSON text; with ``ascii_only`` lone surrogates survive as \\ud800 escapes."""
    return json.dumps(obj, ensure_ascii=ascii_only)


raw_text = st.one_of(
    st.text(max_size=80),
    st.builds(lambda o: encode(o, True)[:-1], job_objects()),  # truncated JSON
    st.builds(lambda o: encode(o, True), json_values),
)
config_keys = st.one_of(
    st.sampled_from(
        [
            "max_retries",
            "max-retries",
            "MAX-RETRIES",
            " backoff_base ",
            "backoff-max",
            "default_timeout",
            "output_limit",
            "poll_interval_ms",
            "heartbeat-interval",
            "lease_timeout",
            "lease__timeout",
            "",
        ]
    ),
    st.text(max_size=20),
)
config_values = st.one_of(
    st.text(max_size=20),
    st.integers().map(str),
    st.floats().map(repr),
    edge_numbers.map(str),
    st.sampled_from(
        ["1e400", "-1e400", "nan", "inf", "0x10", "1_000", " 7 ", "+5", "", "1e9", "1e10"]
    ),
)
