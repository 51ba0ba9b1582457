"""``queuectl logs``: a job's captured output, and ``--follow`` until the job is final."""

from __future__ import annotations

import asyncio
import sys

import click

from queuectl_core.cli.common import complete_job_ids, examples, safe, with_store
from queuectl_core.cli.verbs import POLL_SECONDS, outcome_code
from queuectl_core.errors import JobNotFound
from queuectl_core.lifecycle import is_final
from queuectl_core.models import Job, Output
from queuectl_core.store.base import Store


def _emit(text: str, raw: bool, stream: str = "stdout") -> None:
    out = sys.stdout if stream == "stdout" else sys.stderr
    out.write(text if raw else safe(text))
    out.flush()


def _print_output(output: Output, raw: bool) -> None:
    _emit(output.stdout, raw)
    if output.stderr:
        if output.stdout and not output.stdout.endswith("\n"):
            sys.stdout.write("\n")
        sys.stdout.write("--- stderr ---\n")
        _emit(output.stderr, raw)


def _new_part(shown: str, current: str) -> str:
    """What ``current`` adds to ``shown``; after truncation kicks in, find the overlap."""
    if current.startswith(shown):
        return current[len(shown) :]
    anchor = shown[-256:]
    at = current.rfind(anchor) if anchor else -1
    if at >= 0:
        return current[at + len(anchor) :]
    return "\n[... output truncated ...]\n" + current[-4096:]


class Tail:
    """What of one attempt's output was printed already; prints only what is new."""

    def __init__(self, raw: bool) -> None:
        self.raw = raw
        self.attempt: int | None = None
        self.out = self.err = ""

    def show(self, output: Output) -> None:
        if output.attempt != self.attempt:
            if self.attempt is not None:
                sys.stderr.write(f"--- attempt {output.attempt} ---\n")
            self.attempt, self.out, self.err = output.attempt, "", ""
        _emit(_new_part(self.out, output.stdout), self.raw)
        _emit(_new_part(self.err, output.stderr), self.raw, "stderr")
        self.out, self.err = output.stdout, output.stderr


async def _job(store: Store, job_id: str) -> Job:
    job = await store.get_job(job_id)
    if job is None:
        raise JobNotFound(f"no job with id {job_id!r}")
    return job


async def follow_job(store: Store, job_id: str, raw: bool) -> int:
    """Print the latest attempt's output as it grows, across retries; exit like ``wait``."""
    tail = Tail(raw)
    while True:
        job = await _job(store, job_id)  # read before the output: final means complete output
        output = await store.output(job_id)
        if output is not None:
            if tail.attempt is not None and output.attempt != tail.attempt:
                # Finish the previous attempt first: it may have printed more since last time.
                previous = await store.output(job_id, tail.attempt)
                if previous is not None:
                    tail.show(previous)
            tail.show(output)
        if is_final(job.state):
            return outcome_code([job])
        await asyncio.sleep(POLL_SECONDS)


async def follow_attempt(store: Store, job_id: str, attempt: int, raw: bool) -> int:
    """Print attempt ``attempt`` as it grows; 0 when it succeeded, 1 otherwise."""
    tail = Tail(raw)
    while True:
        job = await _job(store, job_id)
        output = await store.output(job_id, attempt)
        if output is not None:
            tail.show(output)
            if output.finished:
                record = next(a for a in await store.attempts(job_id) if a.attempt == attempt)
                if record.exit_code == 0 and record.error is None:
                    return 0
                click.echo(
                    f"queuectl: attempt {attempt} of {job_id} failed: {record.error}", err=True
                )
                return 1
        elif is_final(job.state):
            raise JobNotFound(f"job {job_id!r} has no attempt {attempt}")
        await asyncio.sleep(POLL_SECONDS)


@click.command(
    epilog=examples(
        "queuectl logs job1", "queuectl logs job1 --attempt 2", "queuectl logs job1 --follow"
    )
)
@click.argument("job_id", shell_complete=complete_job_ids)
@click.option(
    "--attempt", "-a", type=click.IntRange(min=1), help="Attempt number (default: latest)."
)
@click.option(
    "--follow", "-f", is_flag=True, help="Keep printing until the job is final (exit like wait)."
)
@click.option("--raw", is_flag=True, help="Print control characters as they are.")
@click.pass_context
def logs(ctx: click.Context, job_id: str, attempt: int | None, follow: bool, raw: bool) -> None:
    """A job's captured output: stdout, then '--- stderr ---' and stderr if any.

    Control characters are shown escaped (\\x1b...) unless --raw. With --follow,
    stdout and stderr stream to your stdout and stderr across retries until the job
    is final; the exit status is then 0 if it completed, 1 otherwise. With --attempt N
    too, only that attempt is followed (0 if it succeeded).
    """

    async def read(store: Store) -> int:
        if follow and attempt is not None:
            return await follow_attempt(store, job_id, attempt, raw)
        if follow:
            return await follow_job(store, job_id, raw)
        await _job(store, job_id)
        output = await store.output(job_id, attempt)
        if output is None:
            if attempt is not None:
                raise JobNotFound(f"job {job_id!r} has no attempt {attempt}")
            click.echo(f"job {job_id} has not run yet", err=True)
            return 0
        _print_output(output, raw)
        return 0

    ctx.exit(with_store(ctx, read, loop=follow))
