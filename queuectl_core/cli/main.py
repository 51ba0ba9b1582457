"""Entry point of ``queuectl``: the command group and one-line error handling.

Subcommands are imported only when invoked, so ``queuectl enqueue`` does not pay for the
worker pool or rich.
"""

from __future__ import annotations

import importlib
import os
import sys

import click

from queuectl_core import __version__
from queuectl_core.cli.common import DB_KEY
from queuectl_core.errors import QueueError

EPILOG = """
\b
Examples:
  queuectl enqueue '{"id": "job1", "command": "sleep 2"}'
  queuectl worker start --count 4
  queuectl status
  queuectl logs job1
  queuectl dlq retry --all
\b
The store is $QUEUECTL_DB or --db (a file path, or a postgresql:// URL);
default: $XDG_DATA_HOME/queuectl/queuectl.db. Exit codes: 0 ok, 1 failed
operation (unknown id, wrong state, store unreachable), 2 invalid input.
Shell completion: eval "$(_QUEUECTL_COMPLETE=bash_source queuectl)"
"""

COMMANDS = {
    "enqueue": "enqueue:enqueue",
    "worker": "workers:worker",
    "run-workers": "workers:run_workers",
    "status": "inspect:status",
    "list": "inspect:list_jobs",
    "show": "inspect:show",
    "logs": "logs:logs",
    "retry": "verbs:retry",
    "wait": "verbs:wait",
    "dlq": "admin:dlq",
    "cancel": "admin:cancel",
    "config": "settings:config",
    "metrics": "admin:metrics",
    "purge": "admin:purge",
    "top": "procs:top",
    "signal": "procs:signal_job",
    "why": "why:why",
    "schedule": "schedules:schedule",
    "queue": "queues:queue",
    "failures": "insight:failures",
}


def _keep_db(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value is not None:
        ctx.meta[DB_KEY] = value


def _accept_db(command: click.Command) -> click.Command:
    """Give ``command`` (and a group's subcommands) its own ``--db``: ``queuectl list --db X``."""
    if not any(p.name == "db" for p in command.params):
        command.params.append(
            click.Option(
                ["--db"],
                metavar="PATH|URL",
                expose_value=False,
                callback=_keep_db,
                help="Store file or postgresql:// URL (also before the command).",
            )
        )
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            _accept_db(sub)
    return command


class LazyGroup(click.Group):
    """A group whose subcommands live in modules imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, attr = target.split(":")
        command = getattr(importlib.import_module(f"queuectl_core.cli.{module}"), attr)
        assert isinstance(command, click.Command)
        return _accept_db(command)


@click.group(cls=LazyGroup, epilog=EPILOG, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", metavar="PATH|URL", help="Store file or postgresql:// URL.")
@click.version_option(__version__, prog_name="queuectl")
def cli(db: str | None) -> None:
    """queuectl: durable background jobs for shell commands."""


def _undecodable_argument(exc: Exception) -> bool:
    """Bytes in argv that are not UTF-8 arrive as lone surrogates, which no store can take."""
    return isinstance(exc, UnicodeEncodeError) and "surrogates not allowed" in str(exc)


def main() -> None:
    """Run the CLI; every expected failure is one line on stderr and an exit code."""
    try:
        # Bare ``queuectl`` is a request for help, not a usage error.
        args = sys.argv[1:] or ["--help"]
        result = cli.main(args=args, prog_name="queuectl", standalone_mode=False)
    except click.exceptions.Abort:
        sys.exit(130)
    except click.UsageError as exc:
        hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx else ""
        sys.stderr.write(f"queuectl: error: {exc.format_message()}{hint}\n")
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        sys.stderr.write(f"queuectl: error: {exc.format_message()}\n")
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
        if _undecodable_argument(exc):
            sys.stderr.write("queuectl: error: arguments must be valid UTF-8 text\n")
            sys.exit(2)
        if os.environ.get("QUEUECTL_DEBUG"):
            raise
        sys.stderr.write(f"queuectl: internal error: {type(exc).__name__}: {exc}\n")
        sys.exit(1)
    sys.exit(result if isinstance(result, int) else 0)


if __name__ == "__main__":
    main()
