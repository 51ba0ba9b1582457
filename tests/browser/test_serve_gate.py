"""The gate of ``queuectl-tui --serve`` over plain HTTP: token, cookie, Origin, session cap, flags.

These need no browser: an aiohttp client sends exactly the requests an attacker's page or script
could, and the console processes are counted with psutil.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import aiohttp
import pytest
from helpers import assert_one_line_error, cli_env, wait_until

from .support import Served, console_binary, start_server

PAGES = ["/", "/static/js/textual.js", "/static/css/xterm.css", "/static/fonts/", "/download/x"]


@pytest.fixture
async def client() -> AsyncIterator[aiohttp.ClientSession]:
    # DummyCookieJar: every cookie below is sent by hand, exactly as each test means it.
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as session:
        yield session


def cookie(served: Served, value: str | None = None) -> dict[str, str]:
    port = served.origin.rsplit(":", 1)[1]
    return {"Cookie": f"queuectl_tui_{port}={served.token if value is None else value}"}


async def open_session(
    client: aiohttp.ClientSession, served: Served, origin: str | None = None
) -> aiohttp.ClientWebSocketResponse:
    headers = {**cookie(served), "Origin": origin or served.origin}
    return await client.ws_connect(f"{served.origin}/ws?width=80&height=24", headers=headers)


async def open_when_free(
    client: aiohttp.ClientSession, served: Served, timeout: float = 30
) -> aiohttp.ClientWebSocketResponse:
    """Open a session, retrying while the server still counts a session that is ending."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return await open_session(client, served)
        except aiohttp.WSServerHandshakeError as exc:
            if exc.status != 503 or time.monotonic() > deadline:
                raise
        await asyncio.sleep(0.05)


async def handshake_status(
    client: aiohttp.ClientSession, served: Served, headers: dict[str, str]
) -> int:
    try:
        ws = await client.ws_connect(f"{served.origin}/ws", headers=headers)
    except aiohttp.WSServerHandshakeError as exc:
        return exc.status
    await ws.close()
    return 101


async def test_token_is_swapped_for_a_strict_httponly_cookie(
    serve: Callable[..., Served], client: aiohttp.ClientSession
) -> None:
    served = serve()
    async with client.get(f"{served.url}&fontsize=14", allow_redirects=False) as response:
        assert response.status == 303
        assert response.headers["Location"] == "/?fontsize=14"  # the token is gone from the URL
        set_cookie = response.headers["Set-Cookie"]
    assert f"={served.token};" in set_cookie
    assert "HttpOnly" in set_cookie and "SameSite=Strict" in set_cookie
    async with client.get(f"{served.origin}/", headers=cookie(served)) as response:
        assert response.status == 200
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["X-Frame-Options"] == "DENY"  # no other page can frame it
        page = await response.text()
    assert "textual-terminal" in page
    assert "googleapis" not in page and "https://" not in page


@pytest.mark.parametrize("path", PAGES)
async def test_every_page_is_403_without_the_token(
    serve: Callable[..., Served], client: aiohttp.ClientSession, path: str
) -> None:
    served = serve()
    wrong = served.token[:-1] + ("A" if served.token[-1] != "A" else "B")
    attempts: list[tuple[str, dict[str, str]]] = [
        (path, {}),
        (f"{path}?token={wrong}", {}),
        (f"{path}?token=", {}),
        (path, cookie(served, wrong)),
        (path, cookie(served, "")),
        (path, cookie(served, "ünïcode")),
    ]
    for target, headers in attempts:
        async with client.get(served.origin + target, headers=headers) as response:
            assert response.status == 403, (target, headers)
            assert served.token not in await response.text()


async def test_the_socket_is_403_without_the_token(
    serve: Callable[..., Served], client: aiohttp.ClientSession
) -> None:
    served = serve()
    origin = {"Origin": served.origin}
    assert await handshake_status(client, served, origin) == 403
    assert await handshake_status(client, served, {**origin, **cookie(served, "nope")}) == 403
    assert served.consoles() == []


async def test_a_foreign_origin_cannot_open_the_socket(
    serve: Callable[..., Served], client: aiohttp.ClientSession
) -> None:
    served = serve()
    port = served.origin.rsplit(":", 1)[1]
    for origin in ["http://evil.example", f"http://localhost:{port}", "null", ""]:
        headers = {**cookie(served), "Origin": origin}
        assert await handshake_status(client, served, headers) == 403, origin
    assert await handshake_status(client, served, cookie(served)) == 403  # no Origin at all
    assert served.consoles() == []
    ws = await open_session(client, served)  # the server's own Origin opens a console
    wait_until(lambda: len(served.consoles()) == 1, 30, message="one console")
    await ws.close()
    wait_until(lambda: served.consoles() == [], 30, message="the console to quit")


async def test_each_session_is_its_own_console_and_the_cap_holds(
    serve: Callable[..., Served], client: aiohttp.ClientSession, db: Path
) -> None:
    served = serve("--max-sessions", "2")
    first, second = await open_session(client, served), await open_session(client, served)
    wait_until(lambda: len(served.consoles()) == 2, 30, message="2 consoles")
    for console in served.consoles():
        assert console.environ()["QUEUECTL_DB"] == str(db)
        assert "--readonly" not in console.cmdline()
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await open_session(client, served)
    assert refused.value.status == 503
    await first.close()
    wait_until(lambda: len(served.consoles()) == 1, 30, message="the first console to quit")
    third = await open_when_free(client, served)  # a slot is free again
    wait_until(lambda: len(served.consoles()) == 2, 30, message="a new console")
    await second.close()
    await third.close()


async def test_readonly_and_the_store_from_the_environment_reach_every_session(
    serve: Callable[..., Served], client: aiohttp.ClientSession, tmp_path: Path
) -> None:
    store = tmp_path / "elsewhere.db"
    served = serve("--readonly", env=cli_env(store))  # QUEUECTL_DB only, no --db
    ws = await open_session(client, served)
    (console,) = wait_until(served.consoles, 30, message="a console")
    assert "--readonly" in console.cmdline()
    assert console.environ()["QUEUECTL_DB"] == str(store)
    await ws.close()


def run_console(*args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [console_binary(), *args], capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.mark.parametrize(
    "args",
    [
        ["--serve", "--host", "0.0.0.0"],
        ["--serve", "--host", "192.0.2.1"],
        ["--serve", "--host", "example.com"],
        ["--serve", "--port", "70000"],
        ["--serve", "--max-sessions", "0"],
        ["--serve", "--workers", "2"],
        ["--port", "8023"],
        ["--allow-remote"],
    ],
)
def test_bad_serve_flags_are_one_line_errors(args: list[str]) -> None:
    result = run_console(*args)
    assert_one_line_error(result, 2)
    assert result.stdout == ""


def test_a_busy_port_is_a_one_line_error() -> None:
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        result = run_console("--serve", "--port", str(port))
    assert_one_line_error(result, 1)
    assert str(port) in result.stderr


def test_an_unreachable_store_fails_before_serving() -> None:
    result = run_console("--serve", "--port", "0", "--db", "postgresql://127.0.0.1:1/nowhere")
    assert_one_line_error(result, 1)
    assert result.stdout == ""  # no URL: nothing was served


async def test_allow_remote_serves_beyond_loopback(
    serve: Callable[..., Served], client: aiohttp.ClientSession
) -> None:
    served = serve("--host", "0.0.0.0", "--allow-remote")
    assert served.url.startswith(f"http://{socket.gethostname()}:")  # a name to reach it by
    assert "plain HTTP" in served.stderr.read_text()
    port = served.url.split(":")[2].split("/")[0]
    async with client.get(f"http://127.0.0.1:{port}/", headers=cookie(served)) as response:
        assert response.status == 200


async def test_consoles_quit_when_the_server_is_killed(
    client: aiohttp.ClientSession, db: Path, tmp_path: Path
) -> None:
    served = start_server(["--serve", "--port", "0"], cli_env(db), tmp_path / "logs")
    try:
        served.wait_for_url(30)
        await open_session(client, served)
        (console,) = wait_until(served.consoles, 30, message="a console")
    finally:
        served.proc.kill()  # no chance to ask its consoles to quit
        served.proc.wait(10)
    wait_until(lambda: not console.is_running() or console.status() == "zombie", 30,
               message="the orphaned console to quit")  # fmt: skip


def test_a_tab_console_does_not_load_the_web_server() -> None:
    code = (
        "import sys, queuectl_tui.serve_session\n"
        "print(sorted(m for m in sys.modules if m.startswith(('aiohttp', 'textual_serve'))))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"
