"""``queuectl-tui --serve`` in a real headless Chromium, driven over the DevTools protocol.

The terminal's text is read from xterm.js's buffer in the page (see ``cdp.TERMINAL_HOOK``), keys
go in through ``Input.dispatchKeyEvent``, and the store is checked with ``queuectl show --json``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from .cdp import Chromium, Page, poll
from .support import Served, dead_job, state

pytestmark = pytest.mark.browser

FOOTER = "Retry DLQ"  # the key bar: on screen once the console has painted
PAINTED_OR_CLOSED = f"""(() => {{
  const term = window.__xterm, body = document.body;
  if (body && body.classList.contains("-closed")) return true;
  if (!term) return false;
  const buffer = term.buffer.active;
  for (let y = 0; y < term.rows; y++) {{
    const line = buffer.getLine(buffer.viewportY + y);
    if (line && line.translateToString(true).includes({FOOTER!r})) return true;
  }}
  return false;
}})()"""


async def store_state(db: Path, job_id: str, expected: str) -> None:
    async def reached() -> bool:
        return await asyncio.to_thread(state, db, job_id) == expected

    await poll(reached, 30, f"{job_id} to be {expected}")


async def open_console(chromium: Chromium, served: Served) -> Page:
    page = await chromium.new_page()
    await page.navigate(served.url)
    await page.wait_for_text(FOOTER)
    return page


def handshakes(page: Page) -> list[int]:
    """The HTTP status of every WebSocket handshake the page made (refusals included)."""
    found = []
    for event in page.events:
        if event["method"] == "Network.webSocketHandshakeResponseReceived":
            found.append(int(event["params"]["response"]["status"]))
        elif event["method"] == "Network.webSocketFrameError":
            # "Error during WebSocket handshake: Unexpected response code: 403"
            found.append(int(event["params"]["errorMessage"].rsplit(" ", 1)[1]))
    return found


async def test_keys_in_the_browser_retry_a_dlq_job(
    serve: Callable[..., Served], chromium: Chromium, db: Path
) -> None:
    dead_job(db, "web-flaky")
    served = serve()
    page = await open_console(chromium, served)
    await page.wait_for_text("dead 1")
    await page.press("6")
    screen = await page.wait_for_text("1-1 of 1")
    assert "web-flaky" in screen
    await page.press("r")
    await store_state(db, "web-flaky", "pending")
    await page.wait_for_text("0 of 0")  # gone from the DLQ view
    assert handshakes(page) == [101]


async def test_the_page_loads_nothing_from_outside_the_server(
    serve: Callable[..., Served], chromium: Chromium
) -> None:
    served = serve()
    page = await open_console(chromium, served)
    urls = page.requested_urls()
    assert any("/static/fonts/RobotoMono" in url for url in urls), urls  # the font: ours
    assert all(url.startswith(served.origin + "/") for url in urls), urls
    sockets = [e["params"]["url"] for e in page.events if e["method"] == "Network.webSocketCreated"]
    ws_origin = served.origin.replace("http://", "ws://", 1)
    assert sockets and all(url.startswith(ws_origin + "/") for url in sockets), sockets
    assert await page.evaluate("document.fonts.check('16px \"Roboto Mono\"')") is True


async def test_readonly_reaches_the_browser_session(
    serve: Callable[..., Served], chromium: Chromium, db: Path
) -> None:
    dead_job(db, "ro-job")
    served = serve("--readonly")
    page = await open_console(chromium, served)
    await page.press("6")
    await page.wait_for_text("1-1 of 1")
    # Keys are handled in order: once the Pending view (2) shows, the "r" before it was handled.
    await page.press("r")
    await page.press("2")
    await page.wait_for_text("0 of 0")
    assert state(db, "ro-job") == "dead"
    await page.press("6")
    await page.wait_for_text("1-1 of 1")


def ws_origin_of(page: Page) -> str:
    """The Origin header of the page's first WebSocket handshake."""
    for event in page.events:
        if event["method"] == "Network.webSocketWillSendHandshakeRequest":
            return str(event["params"]["request"]["headers"]["Origin"])
    raise AssertionError("the page opened no WebSocket")


@pytest.fixture
async def foreign_page() -> AsyncIterator[Callable[[str], str]]:
    """A page on another origin (same host, another port) that tries to open a socket URL."""
    pages: dict[str, str] = {}

    async def handle(request: web.Request) -> web.Response:
        target = pages.get(request.match_info["name"])
        if target is None:
            raise web.HTTPNotFound()
        script = f"""<script>
          window.result = "pending";
          const ws = new WebSocket({target!r});
          ws.onopen = () => {{ window.result = "open"; }};
          ws.onclose = () => {{ if (window.result !== "open") window.result = "refused"; }};
        </script>"""
        return web.Response(text=script, content_type="text/html")

    app = web.Application()
    app.router.add_get("/{name}", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]

    def page_for(socket_url: str) -> str:
        name = f"p{len(pages)}"
        pages[name] = socket_url
        return f"http://127.0.0.1:{port}/{name}"

    yield page_for
    await runner.cleanup()


async def test_a_page_from_another_origin_cannot_open_the_socket(
    serve: Callable[..., Served], chromium: Chromium, foreign_page: Callable[[str], str]
) -> None:
    served = serve()
    await open_console(chromium, served)  # the browser now holds the session cookie
    assert len(served.consoles()) == 1
    attacker = await chromium.new_page()
    ws_url = served.origin.replace("http://", "ws://", 1) + "/ws?width=80&height=24"
    await attacker.navigate(foreign_page(ws_url))

    async def outcome() -> Any:
        return await attacker.evaluate("window.result !== 'pending' && window.result")

    assert await poll(outcome, 30, "the foreign socket to open or fail") == "refused"
    assert handshakes(attacker) == [403]
    assert len(served.consoles()) == 1
    # Same site (127.0.0.1, another port), so the Strict cookie went along: the Origin check
    # is what refused it, and the server says so.
    foreign = ws_origin_of(attacker)
    assert f"refused a session socket from Origin {foreign}" in served.stderr.read_text()


async def test_each_tab_is_a_console_up_to_the_cap(
    serve: Callable[..., Served], chromium: Chromium
) -> None:
    served = serve("--max-sessions", "1")
    first = await open_console(chromium, served)
    consoles = served.consoles()
    assert len(consoles) == 1
    second = await chromium.new_page()
    await second.navigate(served.url)

    async def ended() -> Any:
        return await second.evaluate("document.body?.classList.contains('-closed')")

    await poll(ended, 30, "the second tab to show 'Session ended'")
    assert handshakes(second) == [503]
    await chromium.close_page(first)  # closing the tab ends its console and frees the slot
    await poll(
        lambda: asyncio.to_thread(lambda: not served.consoles()), 30, "the first console to quit"
    )

    async def reopened() -> bool:
        # The server may count the first session for a moment after its process is gone.
        await second.navigate(served.origin + "/")  # the cookie is enough now
        await poll(lambda: second.evaluate(PAINTED_OR_CLOSED), 30, "the tab to paint or close")
        return bool(FOOTER in await second.screen())

    await poll(reopened, 30, "the second tab to get a console")
    (again,) = served.consoles()
    assert again.pid != consoles[0].pid


@pytest.fixture
async def tunnel() -> AsyncIterator[Callable[[int], Awaitable[int]]]:
    """A TCP forwarder from a new local port to a given one, as ``ssh -L`` would be."""
    servers: list[asyncio.Server] = []

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()

    async def forward(port: int) -> int:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", port)
            await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        servers.append(server)
        return int(server.sockets[0].getsockname()[1])

    yield forward
    for server in servers:
        server.close()


async def test_the_console_works_through_a_tunnel_on_another_port(
    serve: Callable[..., Served], chromium: Chromium, tunnel: Callable[[int], Awaitable[int]]
) -> None:
    served = serve()
    port = int(served.origin.rsplit(":", 1)[1])
    local = await tunnel(port)
    page = await chromium.new_page()
    await page.navigate(served.url.replace(f":{port}/", f":{local}/"))
    await page.wait_for_text(FOOTER)
    sockets = [e["params"]["url"] for e in page.events if e["method"] == "Network.webSocketCreated"]
    assert sockets and all(url.startswith(f"ws://127.0.0.1:{local}/") for url in sockets)
