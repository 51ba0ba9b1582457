"""Entry point of ``queuectl``: the command group and one-line error handling."""

from __future__ import annotations

import os
import sys

import click

from queuectl_core import __version__
from queuectl_core.cli.admin import cancel, config, dlq, metrics, purge
from queuectl_core.cli.enqueue import enqueue
from queuectl_core.cli.inspect import list_jobs, logs, show, status
from queuectl_core.cli.workers import run_workers, worker
from queuectl_core.errors import QueueError

EPILOG = """
\b
The store is $QUEUECTL_DB or --db (a file path, or a postgresql:// URL);
default: $XDG_DATA_HOME/queuectl/queuectl.db. Exit codes: 0 ok, 1 failed
operation (unknown id, wrong state, store unreachable), 2 invalid input.
Shell completion: eval "$(_QUEUECTL_COMPLETE=bash_source queuectl)"
"""


@click.group(epilog=EPILOG, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", metavar="PATH|URL", help="Store file or postgresql:// URL.")
@click.version_option(__version__, prog_name="queuectl")
def cli(db: str | None) -> None:
    """queuectl: durable background jobs for shell commands."""


for command in (
    enqueue,
    worker,
    run_workers,
    status,
    list_jobs,
    show,
    logs,
    dlq,
    cancel,
    config,
    metrics,
    purge,
):
    cli.add_command(command)


def main() -> None:
    """Run the CLI; every expected failure is one line on stderr and an exit code."""
    try:
        result = cli.main(prog_name="queuectl", standalone_mode=False)
    except click.exceptions.Abort:
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except QueueError as exc:
        sys.stderr.write(f"queuectl: error: {exc}\n")
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
    except BrokenPipeError:
        sys.stderr.close()
        sys.exit(1)
    except Exception as exc:  # a bug: still one line, unless debugging
        if os.environ.get("QUEUECTL_DEBUG"):
            raise
        sys.stderr.write(f"queuectl: internal error: {type(exc).__name__}: {exc}\n")
        sys.exit(1)
    sys.exit(result if isinstance(result, int) else 0)


if __name__ == "__main__":
    main()
