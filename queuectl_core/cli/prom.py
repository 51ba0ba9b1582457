"""``queuectl metrics --prometheus`` and ``--serve``: the store's figures for Prometheus."""

from __future__ import annotations

import signal
import sys
import threading

import click

from queuectl_core.cli.common import with_store
from queuectl_core.errors import InvalidInput
from queuectl_core.processes import Figures
from queuectl_core.prometheus import LOOPBACK, exposition, registry_for
from queuectl_core.store.base import Store


def _reader(ctx: click.Context) -> Figures:
    async def read(store: Store) -> Figures:
        return await store.figures()

    return with_store(ctx, read)


def print_prometheus(ctx: click.Context) -> None:
    """One scrape, printed; a store that cannot be read fails the command (exit 1)."""
    figures = _reader(ctx)
    sys.stdout.write(exposition(lambda: figures))


def serve_prometheus(ctx: click.Context, host: str, port: int, allow_remote: bool) -> None:
    """Serve ``/metrics`` until SIGINT/SIGTERM; each scrape opens the store and reads it."""
    if host not in LOOPBACK and not allow_remote:
        raise InvalidInput(
            f"--host {host} would publish the queue's metrics beyond this machine; "
            "add --allow-remote to mean it"
        )
    _reader(ctx)  # fail now, with one line, if the store cannot be read
    from prometheus_client import start_http_server

    try:
        server, thread = start_http_server(
            port, addr=host, registry=registry_for(lambda: _reader(ctx))
        )
    except OSError as exc:
        raise InvalidInput(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"serving http://{shown}:{server.server_port}/metrics")
    sys.stdout.flush()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(3600):
            pass
    except KeyboardInterrupt:
        pass
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)
