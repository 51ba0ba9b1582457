# ruff: noqa: E501
"""The failure fingerprint on realistic stderr: variants of one failure share a group, different
failures stay apart."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from queuectl_core.fingerprint import fingerprint, mask, stderr_line


def prints(variants: Sequence[tuple[str | None, str]]) -> set[str]:
    return {fingerprint(error, stderr)[0] for error, stderr in variants}


def traceback(path: str, line: int, code: str, last: str) -> str:
    return (
        "Traceback (most recent call last):\n"
        f'  File "{path}", line {line}, in <module>\n'
        "    main()\n"
        f'  File "{path}", line {line + 20}, in main\n'
        f"    {code}\n"
        f"{last}\n"
    )


def node(path: str, line: int, error: str) -> str:
    return (
        f"{path}:{line}\n    throw new Error(msg);\n    ^\n\n{error}\n"
        f"    at sync ({path}:{line}:11)\n    at Object.<anonymous> ({path}:{line + 3}:1)\n\n"
        "Node.js v20.11.1\n"
    )


def go_panic(index: int, length: int, pointer: str, where: str) -> str:
    return (
        f"panic: runtime error: index out of range [{index}] with length {length}\n\n"
        f"goroutine 1 [running]:\nmain.main()\n\t{where} +{pointer}\nexit status 2\n"
    )


def java(order: str, line: int) -> str:
    return (
        'Exception in thread "main" java.lang.IllegalStateException: no stock for ' + order + "\n"
        f"\tat com.shop.Stock.take(Stock.java:{line})\n\tat com.shop.Main.main(Main.java:9)\n"
    )


SAME_FAILURE = {
    "connection refused": [
        (
            "exit 7",
            "curl: (7) Failed to connect to 10.0.0.12 port 8080 after 3 ms: Connection refused",
        ),
        (
            "exit 7",
            "curl: (7) Failed to connect to api.example.com port 443 after 12 ms: Connection refused",
        ),
        (
            "exit 7",
            "curl: (7) Failed to connect to 192.168.1.5 port 9000 after 0 ms: Connection refused",
        ),
        (
            "exit 7",
            "curl: (7) Failed to connect to db-2.internal.lan port 5432 after 1 ms: Connection refused",
        ),
        (
            "exit 7",
            "curl: (7) Failed to connect to localhost port 80 after 1021 ms: Connection refused",
        ),
    ],
    "node econnrefused": [
        ("exit 1", "Error: connect ECONNREFUSED 127.0.0.1:6379"),
        ("exit 1", "Error: connect ECONNREFUSED 10.2.3.4:6380"),
        ("exit 1", "Error: connect ECONNREFUSED [::1]:6379"),
        ("exit 1", "Error: connect ECONNREFUSED redis.local:6379"),
        ("exit 1", "Error: connect ECONNREFUSED 172.17.0.2:16379"),
    ],
    "missing file": [
        ("exit 1", "cat: /var/data/2026/report-17.csv: No such file or directory"),
        ("exit 1", "cat: /home/ana/inbox/a.txt: No such file or directory"),
        ("exit 1", "cat: ./tmp/x/y.txt: No such file or directory"),
        ("exit 1", "cat: ~/exports/2025-11-30.json: No such file or directory"),
        ("exit 1", "cat: /tmp/0b2a9c1e-aaaa-2222-3333-444455556666/f: No such file or directory"),
    ],
    "python traceback": [
        (
            "exit 1",
            traceback(
                "/srv/app/sync.py",
                42,
                "int(x)",
                "ValueError: invalid literal for int() with base 10: 'abc'",
            ),
        ),
        (
            "exit 1",
            traceback(
                "/srv/app/sync.py",
                57,
                "int(x)",
                "ValueError: invalid literal for int() with base 10: '12x'",
            ),
        ),
        (
            "exit 1",
            traceback(
                "/opt/other/job.py",
                3,
                "int(row['n'])",
                "ValueError: invalid literal for int() with base 10: ''",
            ),
        ),
        (
            "exit 1",
            traceback(
                "./job.py",
                120,
                "int(y)",
                "ValueError: invalid literal for int() with base 10: 'None'",
            ),
        ),
        (
            "exit 1",
            traceback(
                "/tmp/t.py",
                9,
                "int(z)",
                "ValueError: invalid literal for int() with base 10: '0x1f'",
            ),
        ),
    ],
    "timeout": [
        ("timed out after 5s", "waiting for lock /var/lock/a.lock"),
        ("timed out after 30s", "waiting for lock /var/lock/job.lock"),
        ("timed out after 0.5s", "waiting for lock /tmp/other.lock"),
        ("timed out after 120s", "waiting for lock ./x.lock"),
        ("timed out after 3600s", "waiting for lock /run/y.lock"),
    ],
    "log line with ids and times": [
        (
            "exit 2",
            "2026-12-01 02:03:04,567 ERROR job 01JD3KXAZ8Q9W6 failed (request 3f2a9c1e-1111-2222-3333-444455556666)",
        ),
        (
            "exit 2",
            "2026-11-30 23:59:59,001 ERROR job 01JD3KXB00000Z failed (request 0b2a9c1e-aaaa-2222-3333-444455556666)",
        ),
        (
            "exit 2",
            "2025-01-01T00:00:00Z ERROR job 01JCZZZZZZZZZ9 failed (request 3f2a9c1e-1111-bbbb-3333-444455556666)",
        ),
        (
            "exit 2",
            "2026-12-01 12:00:00.5 ERROR job 01JD3K00000001 failed (request 3f2a9c1e-1111-2222-cccc-444455556666)",
        ),
        (
            "exit 2",
            "2026-02-28 01:02:03 ERROR job 01JD3KQQQQQQQ1 failed (request 3f2a9c1e-1111-2222-3333-dddd55556666)",
        ),
    ],
    "node crash": [
        ("exit 1", node(f"/app/job{n}.js", n, f"Error: cannot sync account {n * 7}"))
        for n in range(1, 6)
    ],
    "go panic": [
        ("exit 2", go_panic(n, n + 2, f"0xc0000{n}a000", f"/src/w{n}/main.go:{10 * n}"))
        for n in range(1, 6)
    ],
    "java": [("exit 1", java(f"order-{n}", n * 11)) for n in range(1, 6)],
    "segfault": [
        ("exit 139", "segfault at 0x7ffd1234abcd ip 00007f3a2b1c0d0e sp 00007ffd1234ab00 error 4"),
        ("exit 139", "segfault at 0x10 ip 00007f3a2b1c9999 sp 00007ffd12340000 error 4"),
        ("exit 139", "segfault at 0xdeadbeef ip 00007f3a00000000 sp 00007ffd1234ffff error 4"),
        ("exit 139", "segfault at 0x0 ip 00007f3a2b1caaaa sp 00007ffd1234ab08 error 4"),
        ("exit 139", "segfault at 0xffff ip 00007f3a2b1cbbbb sp 00007ffd1234ab10 error 4"),
    ],
}


@pytest.mark.parametrize("name", list(SAME_FAILURE))
def test_five_variants_of_one_failure_make_one_group(name: str) -> None:
    assert len(prints(SAME_FAILURE[name])) == 1


def test_different_failures_stay_apart() -> None:
    firsts = [variants[0] for variants in SAME_FAILURE.values()]
    assert len(prints(firsts)) == len(firsts)


@pytest.mark.parametrize(
    "a, b",
    [
        (("exit 1", "HTTP 503 Service Unavailable"), ("exit 1", "HTTP 404 Not Found")),
        (
            ("exit 22", "curl: (22) The requested URL returned error: 503"),
            ("exit 22", "curl: (22) The requested URL returned error: 404"),
        ),
        (
            ("exit 1", "GET /api/v1/users/7 HTTP/1.1 500"),
            ("exit 1", "GET /api/v1/users/7 HTTP/1.1 502"),
        ),
        (
            ("exit 1", "requests.exceptions.HTTPError: status code 429"),
            ("exit 1", "requests.exceptions.HTTPError: status code 401"),
        ),
        (("exit 3", ""), ("exit 4", "")),
        (
            ("exit 1", "[Errno 2] No such file or directory"),
            ("exit 1", "[Errno 13] Permission denied"),
        ),
        (("exit 1", "killed by signal 9"), ("exit 1", "killed by signal 15")),
        (("exit 1", "ValueError: bad 'x'"), ("exit 1", "KeyError: 'x'")),
        (("command not found", ""), ("exit 127", "")),
        (("exit 1", node("/a.js", 1, "Error: boom")), ("exit 1", node("/a.js", 1, "TypeError: x"))),
        (("exit 2", go_panic(1, 2, "0x1", "/m.go:1")), ("exit 2", "panic: assignment to nil map")),
    ],
)
def test_meaningful_numbers_and_words_keep_failures_apart(
    a: tuple[str, str], b: tuple[str, str]
) -> None:
    assert fingerprint(*a)[0] != fingerprint(*b)[0]


def test_http_statuses_group_across_urls() -> None:
    variants = [
        ("exit 1", f"HTTP 503 Service Unavailable from https://api.example.com/v2/items/{n}")
        for n in (1, 22, 333, 4444, 55555)
    ]
    assert len(prints(variants)) == 1
    assert "503" in fingerprint(*variants[0])[1]


def test_pattern_reads_well() -> None:
    _, shape = fingerprint(
        "exit 7", "curl: (7) Failed to connect to 10.0.0.12 port 8080: Connection refused"
    )
    assert shape == "exit 7 | curl: (<n>) Failed to connect to <addr> port <n>: Connection refused"
    assert mask("timed out after 5s") == "timed out after <n>"
    assert mask("can't open '/x/y'") == "can't open '<v>'"


def test_traceback_gives_its_exception_line() -> None:
    text = traceback("/a.py", 1, "boom()", "RuntimeError: boom")
    assert stderr_line(text) == "RuntimeError: boom"
    assert stderr_line("\n\n") == ""
    assert stderr_line("  only indented\n") == "  only indented"


@pytest.mark.parametrize(
    "error, stderr",
    [(None, ""), ("", None), ("\x1b[31mred\x00", "\udcff\n" * 3), ("x" * 100_000, "y" * 100_000)],
)
def test_odd_values_give_a_short_stable_fingerprint(error: str | None, stderr: str | None) -> None:
    first = fingerprint(error, stderr)
    assert first == fingerprint(error, stderr)
    assert len(first[0]) == 12
    assert len(first[1]) <= 420
