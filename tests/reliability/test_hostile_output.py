"""Hostile job output: markup, ANSI/OSC escapes, C1 controls, NUL, invalid UTF-8, a 1 MB line.

``queuectl logs`` (and ``show``/``list``) must print it inertly: no ESC, BEL, NUL or C1 byte
reaches stdout unless ``--raw``, markup is printed as the literal text, nothing crashes.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from helpers import QUEUECTL, cli_env, run_cli, start_workers

SCRIPT = r"""
printf '[bold red]boom[/] [link=http://evil.example]click[/link] [/]\n'
printf 'ansi \033[31mred\033[0m clear\033[2J home\033[H\n'
printf 'osc \033]0;pwned-title\007 \033]8;;http://evil.example\033\\link\033]8;;\033\\\n'
printf 'c1 \302\233 31m csi and \302\235 osc\n'
printf 'nul \000 byte\n'
printf 'bad utf8 \377\376 \300\200 end\n'
head -c 1048000 /dev/zero | tr '\000' 'x'
printf '\nafter the long line \033[5m\n'
printf 'err \033[41m\033]52;c;cGF5bG9hZA==\007 \000\377\n' >&2
"""
FORBIDDEN = {
    b"\x1b": "ESC",
    b"\x07": "BEL",
    b"\x00": "NUL",
    b"\xc2\x9b": "C1 CSI",
    b"\xc2\x9d": "C1 OSC",
}


def cli_bytes(db: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [*QUEUECTL, "--db", str(db), *args],
        capture_output=True,
        env=cli_env(),
        timeout=60,
        check=False,
    )


def assert_inert(result: subprocess.CompletedProcess[bytes], where: str) -> str:
    assert result.returncode == 0, (where, result.stderr[-500:])
    assert b"Traceback" not in result.stderr, (where, result.stderr[-2000:])
    for blob in (result.stdout, result.stderr):
        for raw, name in FORBIDDEN.items():
            assert raw not in blob, f"{where}: {name} reached the terminal"
    return result.stdout.decode("utf-8")  # valid UTF-8 whatever the job wrote


def test_logs_show_hostile_output_inertly(db: Path, tmp_path: Path) -> None:
    script = tmp_path / "hostile.sh"
    script.write_text(SCRIPT)
    run_cli("enqueue", "--id", "hostile", "--command", f"sh {script}", db=db)
    # The command itself carries escapes too (JSON \u001b): list and show must not replay them.
    run_cli(
        "enqueue", json.dumps({"id": "esc-cmd", "command": "true '\x1b[2J\x1b]0;t\x07'"}), db=db
    )
    worker = start_workers(db, 2, "--drain")
    assert worker.wait(60) == 0, worker.output()[-2000:]

    text = assert_inert(cli_bytes(db, "logs", "hostile"), "logs")
    assert "[bold red]boom[/] [link=http://evil.example]click[/link] [/]" in text
    assert "\\x1b[31mred\\x1b[0m" in text and "\\x07" in text
    assert "\\x00 byte" in text and "\ufffd" in text
    assert "x" * 500_000 in text and "after the long line" in text
    assert_inert(cli_bytes(db, "logs", "hostile", "--attempt", "1"), "logs --attempt")
    assert_inert(cli_bytes(db, "logs", "hostile", "--follow"), "logs --follow")
    for args in (["show", "hostile"], ["show", "esc-cmd"], ["list"], ["status"], ["dlq", "list"]):
        assert_inert(cli_bytes(db, *args), " ".join(args))
    for args in (["show", "esc-cmd", "--json"], ["list", "--json"]):
        shown = assert_inert(cli_bytes(db, *args), " ".join(args))
        json.loads(shown)
    states = {j["id"]: j["state"] for j in json.loads(cli_bytes(db, "list", "--json").stdout)}
    assert states == {"hostile": "completed", "esc-cmd": "completed"}

    raw = cli_bytes(db, "logs", "hostile", "--raw")
    assert raw.returncode == 0 and b"\x1b[31mred" in raw.stdout, "--raw prints what the job wrote"
