"""The gate in front of every ``--serve`` request: token, cookie, Origin and the session cap.

textual-serve itself has no authentication, no Origin check and no session limit, so any page
open in the operator's browser could otherwise drive a console on localhost.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

log = logging.getLogger("queuectl_tui.serve")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

TOKEN_PARAM = "token"
SESSION_PATH = "/ws"
STATIC_PREFIX = "/static/"
#: Headers on every answer: no framing by other pages, no token in a Referer.
SAFE_HEADERS = {
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}
#: textual-serve's static files are public code and fonts, worth caching; nothing else is.
NO_STORE = {"Cache-Control": "no-store"}


class Gate:
    """Lets a request through only with the launch token, and counts the live sessions.

    The token arrives once in the URL's query, is swapped for an HttpOnly SameSite=Strict cookie
    and a redirect to the clean URL; after that the cookie is the key. Cookies are shared by all
    ports of a host, so the cookie's name carries the port the server listens on.
    """

    def __init__(self, token: str, max_sessions: int, cookie: str) -> None:
        self._token = token.encode()
        self.max_sessions = max_sessions
        self.cookie = cookie
        self.sessions: set[asyncio.Task[object]] = set()

    def valid(self, candidate: str | None) -> bool:
        """Whether ``candidate`` is the token, compared in constant time."""
        if not candidate:
            return False
        return hmac.compare_digest(candidate.encode(), self._token)

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """The aiohttp middleware: refuse, redirect, or pass on to textual-serve's handler."""
        extra = SAFE_HEADERS if request.path.startswith(STATIC_PREFIX) else SAFE_HEADERS | NO_STORE
        try:
            response = await self._route(request, handler)
        except web.HTTPException as exc:
            exc.headers.update(extra)
            raise
        response.headers.update(extra)
        return response

    async def _route(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if TOKEN_PARAM in request.query:
            return self._exchange(request)
        if not self.valid(request.cookies.get(self.cookie)):
            raise web.HTTPForbidden(text="403: open the URL queuectl-tui --serve printed\n")
        if request.path == SESSION_PATH:
            return await self._session(request, handler)
        return await handler(request)

    def _exchange(self, request: web.Request) -> web.StreamResponse:
        """Swap a valid token in the query for the cookie, and redirect to the URL without it."""
        if not self.valid(request.query.get(TOKEN_PARAM)):
            raise web.HTTPForbidden(text="403: wrong token\n")
        query = [(key, value) for key, value in request.query.items() if key != TOKEN_PARAM]
        response = web.HTTPSeeOther(location=str(request.rel_url.with_query(query)))
        response.set_cookie(
            self.cookie, self._token.decode(), httponly=True, samesite="Strict", path="/"
        )
        return response

    async def _session(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """The console's WebSocket: same Origin only, and no more than ``max_sessions``."""
        origin = request.headers.get("Origin", "")
        if origin.lower() != f"{request.scheme}://{request.host}".lower():
            # Worth a line: a page that holds the cookie (same site) tried to drive a console.
            log.warning("refused a session socket from Origin %s", origin or "(none)")
            raise web.HTTPForbidden(text="403: the session socket is only for this server's page\n")
        if len(self.sessions) >= self.max_sessions:
            log.warning("refused a session: %d consoles are open already", self.max_sessions)
            raise web.HTTPServiceUnavailable(
                text=f"503: {self.max_sessions} consoles are open already; close a tab\n"
            )
        task = asyncio.current_task()
        assert task is not None
        self.sessions.add(task)
        try:
            return await handler(request)
        finally:
            self.sessions.discard(task)

    async def close_sessions(self) -> None:
        """End every open session (server shutdown): each console is asked to quit."""
        for task in list(self.sessions):
            task.cancel()
        for task in list(self.sessions):
            with contextlib.suppress(asyncio.CancelledError):
                await task
