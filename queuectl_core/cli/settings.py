"""The ``config`` command: show or change the settings stored with the queue."""

from __future__ import annotations

import click

from queuectl_core.cli.common import complete_config_keys, examples, print_json, with_store
from queuectl_core.config import KEYS, Config, format_value, normalize_key


@click.group()
def config() -> None:
    """Show or change settings stored with the queue (keys take - or _)."""


@config.command("list", epilog=examples("queuectl config list", "queuectl config list --json"))
@click.option("--json", "as_json", is_flag=True, help="One JSON object.")
@click.pass_context
def config_list(ctx: click.Context, as_json: bool) -> None:
    """Every key with its value, default and meaning."""
    current = with_store(ctx, lambda store: store.get_config())
    if as_json:
        print_json({name: getattr(current, name) for name in KEYS})
        return
    from queuectl_core.cli.tables import table

    table(
        ["key", "value", "default", "meaning"],
        [
            (k.name, format_value(getattr(current, k.name)), format_value(k.default), k.meaning)
            for k in KEYS.values()
        ],
    )


@config.command("get", epilog=examples("queuectl config get max_retries"))
@click.argument("key", shell_complete=complete_config_keys)
@click.pass_context
def config_get(ctx: click.Context, key: str) -> None:
    """Print one value."""
    spec = normalize_key(key)
    current = with_store(ctx, lambda store: store.get_config())
    click.echo(format_value(getattr(current, spec.name)))


@config.command(
    "set",
    context_settings={"ignore_unknown_options": True},
    epilog=examples(
        "queuectl config set max_retries 5",
        "queuectl config set backoff_base 3",
        "queuectl config set default_timeout 10m",
    ),
)
@click.argument("key", shell_complete=complete_config_keys)
@click.argument("value", type=click.UNPROCESSED)
@click.pass_context
def config_set(ctx: click.Context, key: str, value: str) -> None:
    """Validate and store a value. max_retries applies to jobs enqueued afterwards."""
    spec = normalize_key(key)
    updated: Config = with_store(ctx, lambda store: store.set_config(key, value), create=True)
    click.echo(f"{spec.name} = {format_value(getattr(updated, spec.name))}")
