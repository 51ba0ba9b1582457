"""Headless Chromium driven over the DevTools protocol, with nothing downloaded at run time.

``Chromium`` starts the system's ``chromium`` on a private profile and connects to its browser
WebSocket (aiohttp's client, which textual-serve already needs); ``Page`` is one tab on a
flattened session. Every wait polls an observable with a deadline.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import aiohttp

T = TypeVar("T")
Event = dict[str, Any]

#: Installed into every page before its scripts run: keeps a reference to the xterm.js terminal
#: (textual-serve does not expose it) so tests can read the text it holds. xterm's public
#: ``Terminal`` sets ``_core`` once, in its constructor.
TERMINAL_HOOK = """
Object.defineProperty(Object.prototype, "_core", {
  configurable: true,
  set(value) {
    if (typeof this.loadAddon === "function" && typeof this.write === "function") {
      window.__xterm = this;
    }
    Object.defineProperty(this, "_core", {value, writable: true, configurable: true});
  },
});
"""
#: The terminal's visible lines, joined by newlines ("" before the terminal exists).
SCREEN_TEXT = """
(() => {
  const term = window.__xterm;
  if (!term) return "";
  const buffer = term.buffer.active, lines = [];
  for (let y = 0; y < term.rows; y++) {
    const line = buffer.getLine(buffer.viewportY + y);
    lines.push(line ? line.translateToString(true) : "");
  }
  return lines.join("\\n");
})()
"""
#: Key name -> (key, code, windows virtual key code) for CDP Input.dispatchKeyEvent.
SPECIAL_KEYS = {
    "enter": ("Enter", "Enter", 13),
    "escape": ("Escape", "Escape", 27),
    "tab": ("Tab", "Tab", 9),
    "down": ("ArrowDown", "ArrowDown", 40),
    "up": ("ArrowUp", "ArrowUp", 38),
}


class CDPError(Exception):
    """The browser answered a command with an error."""


async def poll(check: Callable[[], Awaitable[T]], timeout: float, what: str) -> T:
    """Await ``check()`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = await check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.05)


def chromium_binary() -> str | None:
    """The system's Chromium, if installed."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


class Connection:
    """One DevTools WebSocket: commands by id, events kept per session."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self._ws = ws
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self.events: dict[str, list[Event]] = {}
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for message in self._ws:
            data = json.loads(message.data)
            if "id" in data:
                future = self._pending.pop(data["id"], None)
                if future is not None and not future.done():
                    future.set_result(data)
            else:
                self.events.setdefault(data.get("sessionId", ""), []).append(data)
        for future in self._pending.values():
            future.set_exception(CDPError("the browser closed the DevTools connection"))

    async def send(self, method: str, params: dict[str, Any], session: str = "") -> Any:
        """Send a command and return its result; raises CDPError on an error answer."""
        ident = next(self._ids)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[ident] = future
        message: dict[str, Any] = {"id": ident, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        await self._ws.send_str(json.dumps(message))
        answer = await asyncio.wait_for(future, 30)
        if "error" in answer:
            raise CDPError(f"{method}: {answer['error']}")
        return answer.get("result", {})

    async def close(self) -> None:
        await self._ws.close()
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader


class Page:
    """One browser tab: navigate, read the terminal, press keys, record requests."""

    def __init__(self, connection: Connection, session: str, target: str) -> None:
        self._connection = connection
        self.session = session
        self.target = target

    async def send(self, method: str, **params: Any) -> Any:
        return await self._connection.send(method, params, self.session)

    @property
    def events(self) -> list[Event]:
        return self._connection.events.get(self.session, [])

    def requested_urls(self) -> list[str]:
        """Every URL this page asked for (``Network.requestWillBeSent``), in order."""
        return [
            e["params"]["request"]["url"]
            for e in self.events
            if e["method"] == "Network.requestWillBeSent"
        ]

    async def evaluate(self, expression: str) -> Any:
        result = await self.send(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in result:
            raise CDPError(f"evaluate: {result['exceptionDetails']}")
        return result["result"].get("value")

    async def navigate(self, url: str) -> None:
        """Open ``url`` (returns once the navigation committed, not when the page has loaded)."""
        result = await self.send("Page.navigate", url=url)
        if result.get("errorText"):
            raise CDPError(f"navigate {url}: {result['errorText']}")

    async def screen(self) -> str:
        """The text the page's terminal shows now."""
        return str(await self.evaluate(SCREEN_TEXT))

    async def wait_for_text(self, text: str, timeout: float = 30) -> str:
        """Poll the terminal until ``text`` shows; returns the screen."""

        async def shown() -> str:
            screen = await self.screen()
            return screen if text in screen else ""

        try:
            return await poll(shown, timeout, repr(text))
        except AssertionError:
            raise AssertionError(f"{text!r} not on screen:\n{await self.screen()}") from None

    async def press(self, key: str) -> None:
        """Type one key into the terminal as a user would (``"6"``, ``"r"``, ``"enter"``)."""
        await self.evaluate("document.querySelector('.xterm-helper-textarea').focus()")
        if key in SPECIAL_KEYS:
            name, code, vk = SPECIAL_KEYS[key]
            down: dict[str, Any] = {"key": name, "code": code, "windowsVirtualKeyCode": vk}
            if key in ("enter", "tab"):
                down["text"] = "\r" if key == "enter" else "\t"
        else:
            code = f"Digit{key}" if key.isdigit() else f"Key{key.upper()}"
            vk = ord(key.upper())
            down = {"key": key, "code": code, "text": key, "windowsVirtualKeyCode": vk}
        await self.send("Input.dispatchKeyEvent", type="keyDown", **down)
        up = {k: v for k, v in down.items() if k != "text"}
        await self.send("Input.dispatchKeyEvent", type="keyUp", **up)

    async def screenshot(self, path: Path) -> None:
        """Save a PNG of the page as shown."""
        result = await self.send("Page.captureScreenshot", format="png")
        path.write_bytes(base64.b64decode(result["data"]))


class Chromium:
    """A headless Chromium with a throwaway profile; use ``async with Chromium() as browser``."""

    def __init__(self, width: int = 1280, height: int = 800) -> None:
        self.size = (width, height)
        self.process: subprocess.Popen[bytes] | None = None
        self._profile = Path(tempfile.mkdtemp(prefix="queuectl-chromium-"))
        self._session: aiohttp.ClientSession | None = None
        self._connection: Connection | None = None

    async def __aenter__(self) -> Chromium:
        binary = chromium_binary()
        if binary is None:
            raise RuntimeError("chromium is not installed")
        args = [
            binary,
            "--headless=new",
            "--remote-debugging-port=0",
            f"--user-data-dir={self._profile}",
            f"--window-size={self.size[0]},{self.size[1]}",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-unsafe-swiftshader",
            "about:blank",
        ]
        if os.geteuid() == 0:
            args.insert(1, "--no-sandbox")  # Chromium refuses to run as root with its sandbox
        self.process = subprocess.Popen(
            args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        active = self._profile / "DevToolsActivePort"

        async def endpoint() -> str:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"chromium exited {self.process.returncode}")
            parts = active.read_text().split() if active.exists() else []
            return f"ws://127.0.0.1:{parts[0]}{parts[1]}" if len(parts) == 2 else ""

        url = await poll(endpoint, 30, "chromium's DevTools port")
        self._session = aiohttp.ClientSession()
        ws = await self._session.ws_connect(url, max_msg_size=0)
        self._connection = Connection(ws)
        return self

    async def new_page(self, record_network: bool = True) -> Page:
        """A new tab with the terminal hook installed (and the network recorded)."""
        assert self._connection is not None
        send = self._connection.send
        target = (await send("Target.createTarget", {"url": "about:blank"}))["targetId"]
        attached = await send("Target.attachToTarget", {"targetId": target, "flatten": True})
        page = Page(self._connection, attached["sessionId"], target)
        await page.send("Page.enable")
        await page.send("Runtime.enable")
        if record_network:
            await page.send("Network.enable")
        await page.send("Page.addScriptToEvaluateOnNewDocument", source=TERMINAL_HOOK)
        width, height = self.size
        await page.send(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )
        return page

    async def close_page(self, page: Page) -> None:
        assert self._connection is not None
        await self._connection.send("Target.closeTarget", {"targetId": page.target})

    async def __aexit__(self, *exc: object) -> None:
        if self._connection is not None:
            with contextlib.suppress(Exception):
                await self._connection.send("Browser.close", {})
            await self._connection.close()
        if self._session is not None:
            await self._session.close()
        if self.process is not None:
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, 9)
                self.process.wait(10)
        shutil.rmtree(self._profile, ignore_errors=True)
