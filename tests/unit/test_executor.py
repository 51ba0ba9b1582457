"""The executor against real processes: exit codes, timeouts that kill the tree, env and cwd."""

import asyncio
import os
import time
from pathlib import Path

import psutil

from queuectl_core.executor import Environment, Execution, execute
from queuectl_core.models import Job, JobState
from queuectl_core.output import BoundedOutput


def make_job(command: str, timeout: float | None = None, **extra: object) -> Job:
    now = time.time()
    fields: dict[str, object] = {"env": {}, "cwd": None, **extra}
    return Job(
        "j1",
        command,
        JobState.PROCESSING,
        "default",
        0,
        1,
        3,
        timeout,
        now,
        now,
        now,
        fields["env"],
        fields["cwd"],  # type: ignore[arg-type]
    )


async def run(job: Job) -> tuple[Execution, object]:
    execution = Execution(job, BoundedOutput(1 << 16), BoundedOutput(1 << 16))
    outcome = await execute(execution, Environment(None))
    if execution.child is not None:
        execution.child.reap()
    return execution, outcome


async def test_exit_codes_and_errors() -> None:
    _, ok = await run(make_job("echo out; echo err >&2"))
    assert (ok.exit_code, ok.error, ok.stdout, ok.stderr) == (0, None, "out\n", "err\n")  # type: ignore[attr-defined]
    _, failed = await run(make_job("exit 3"))
    assert (failed.exit_code, failed.error) == (3, "exit 3")  # type: ignore[attr-defined]
    _, missing = await run(make_job("definitely-not-a-command-xyz"))
    assert (missing.exit_code, missing.error) == (127, "command not found")  # type: ignore[attr-defined]
    _, killed = await run(make_job("kill -9 $$"))
    assert (killed.exit_code, killed.error) == (-9, "killed by SIGKILL")  # type: ignore[attr-defined]


async def test_timeout_kills_the_whole_tree_without_waiting_on_pipes() -> None:
    marker = f"sleep 30.{os.getpid()}7"
    started = time.monotonic()
    _, outcome = await run(make_job(f"{marker} & {marker}; wait", timeout=0.5))
    assert time.monotonic() - started < 5
    assert outcome.error == "timed out after 0.5s"  # type: ignore[attr-defined]
    await asyncio.sleep(0)
    survivors = [
        p for p in psutil.process_iter(["cmdline"]) if marker in " ".join(p.info["cmdline"] or [])
    ]
    assert survivors == []


async def test_grandchild_holding_pipes_does_not_block_completion() -> None:
    marker = f"sleep 30.{os.getpid()}8"
    started = time.monotonic()
    _, outcome = await run(make_job(f"({marker} &) ; echo done"))
    assert outcome.exit_code == 0 and outcome.stdout == "done\n"  # type: ignore[attr-defined]
    assert time.monotonic() - started < 5


async def test_env_and_cwd(tmp_path: Path) -> None:
    _, outcome = await run(
        make_job('echo "$GREETING $(pwd)"', env={"GREETING": "hi"}, cwd=str(tmp_path))
    )
    assert outcome.stdout == f"hi {tmp_path}\n"  # type: ignore[attr-defined]
    _, bad = await run(make_job("true", cwd=str(tmp_path / "missing")))
    assert bad.exit_code is None and "cannot start" in (bad.error or "")  # type: ignore[attr-defined]
