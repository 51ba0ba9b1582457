"""``queuectl-tui --serve``: the console in a browser, a console process per tab (textual-serve).

textual-serve starts ``command`` through the shell for every WebSocket; this module hooks in
around it: the ``Gate`` middleware checks every request, the page comes from our own template
(no web fonts from outside), and the listening socket and the first line on stdout are ours.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import shlex
import signal
import socket
import sys
from pathlib import Path
from typing import Any

import aiohttp_jinja2
import textual_serve
from aiohttp import web
from textual_serve.server import Server, to_int

from queuectl_core.store.open import open_store
from queuectl_tui.serve_auth import Gate
from queuectl_tui.serve_options import ServeOptions, is_loopback

log = logging.getLogger("queuectl_tui.serve")
TEMPLATES = Path(__file__).parent / "serve_templates"
#: textual-serve's own static files: textual.js, xterm.css and the Roboto Mono fonts.
STATIC = Path(textual_serve.__file__).parent / "static"


def session_command(readonly: bool) -> str:
    """The shell command each browser tab runs; ``exec`` so the console is the only process."""
    argv = [
        sys.executable,
        "-m",
        "queuectl_tui.serve_session",
        *(["--readonly"] if readonly else []),
    ]
    return "exec " + shlex.join(argv)


class ConsoleServer(Server):
    """textual-serve's server with the gate in front and URLs relative to the page's own host.

    Upstream builds absolute URLs from the host it was given, which breaks behind ``ssh -L``
    on another local port; the page here uses whatever host and port the browser used.
    """

    def __init__(self, options: ServeOptions, gate: Gate) -> None:
        super().__init__(
            session_command(options.readonly),
            host=options.host,
            port=options.port,
            title="queuectl",
            statics_path=STATIC,
            templates_path=TEMPLATES,
        )
        self.gate = gate

    async def make_app(self) -> web.Application:
        """textual-serve's aiohttp application, behind the gate."""
        app = await self._make_app()
        app.middlewares.append(self.gate.middleware)
        return app

    async def on_startup(self, app: web.Application) -> None:
        """Print nothing: upstream prints a banner, and the URL must be the first line."""

    async def on_shutdown(self, app: web.Application) -> None:
        """Ask every console to quit before the server goes."""
        await self.gate.close_sessions()

    async def handle_index(self, request: web.Request) -> web.StreamResponse:
        """The page: our template, with the session socket on the host the browser asked."""
        scheme = "wss" if request.secure else "ws"
        context: dict[str, Any] = {
            "font_size": to_int(request.query.get("fontsize", "16"), 16),
            "app_websocket_url": f"{scheme}://{request.host}/ws",
            "config": {"static": {"url": "/static/"}},
            "application": {"name": self.title},
        }
        return aiohttp_jinja2.render_template("app_index.html", request, context)


WILDCARDS = ("0.0.0.0", "::", "[::]")


def url_for(host: str, port: int, token: str) -> str:
    """The URL to open, token included: a wildcard address shows as this machine's name."""
    shown = socket.gethostname() if host in WILDCARDS else host
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/?token={token}"


def listen(host: str, port: int) -> socket.socket:
    """Bind the listening socket now, so the URL can carry the real port (``--port 0``)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return socket.create_server((host.strip("[]"), port), family=family)


async def serve(options: ServeOptions, sock: socket.socket) -> None:
    """Serve on ``sock``, printing the URL as the first line on stdout, until SIGINT or SIGTERM."""
    token = secrets.token_urlsafe(32)
    port = int(sock.getsockname()[1])
    # Cookies are shared by every port of a host: the port in the name keeps servers apart.
    gate = Gate(token, options.max_sessions, cookie=f"queuectl_tui_{port}")
    # Every console inherits the store through the environment, not a visible argument.
    os.environ["QUEUECTL_DB"] = options.db
    app = await ConsoleServer(options, gate).make_app()
    runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=10)
    await runner.setup()
    try:
        await web.SockSite(runner, sock).start()
        print(url_for(options.host, port, token), flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
    finally:
        await runner.cleanup()


async def check_store(url: str) -> None:
    """Open and close the store once, so a wrong ``--db`` fails here rather than in every tab."""
    store = await open_store(url)
    await store.close()


def run_serve(options: ServeOptions) -> int:
    """Run the server; returns the exit code (1 when the address cannot be bound).

    Raises QueueError when the store cannot be opened.
    """
    asyncio.run(check_store(options.db))
    # Refusals and textual-serve's own errors: one line each on stderr; stdout is the URL.
    logging.basicConfig(format="queuectl-tui: %(message)s", level=logging.WARNING)
    if not is_loopback(options.host):
        log.warning("serving beyond this machine over plain HTTP: the token is the only key")
    try:
        sock = listen(options.host, options.port)
    except OSError as exc:
        where = url_for(options.host, options.port, "").split("/?")[0]
        print(f"queuectl-tui: cannot listen on {where}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    asyncio.run(serve(options, sock))
    return 0
