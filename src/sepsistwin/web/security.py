"""One ASGI layer in front of the app: body size limit, session cookie, security headers."""

from __future__ import annotations

import html
import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from http.cookies import SimpleCookie
from typing import Any

from sepsistwin.web.sessions import COOKIE, SessionStore

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: Content Security Policy: scripts and styles only from this server; no inline script, no
#: framing. Inline style attributes are allowed because plotly.js positions its SVG with them.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]


_log = logging.getLogger("sepsistwin.web")

#: Paths served without a session (static files): they never set the cookie, so a page's
#: assets cannot replace the cookie its page set.
_SESSIONLESS = ("/static/", "/vendor/")


class _BodyTooLarge(Exception):
    pass


def _too_large_message(limit: int) -> str:
    return (
        f"request body larger than this dashboard's upload limit of {limit / 1048576:g} MB "
        "(configurable with `sepsistwin serve --max-upload-mb`)"
    )


class GuardMiddleware:
    """Refuse bodies over ``max_bytes`` (413), attach the session, add security headers.

    Parameters
    ----------
    app
        The ASGI application.
    sessions
        Session store; ``scope["state"]["session"]`` is set for every HTTP request and a new
        session's cookie is sent (HttpOnly, SameSite=Strict).
    max_bytes
        Largest request body accepted.
    """

    def __init__(self, app: ASGIApp, sessions: SessionStore, max_bytes: int) -> None:
        self.app = app
        self.sessions = sessions
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            await self._reject(scope, send)
            return
        token = None
        raw_cookie = headers.get(b"cookie")
        if raw_cookie:
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(raw_cookie.decode("latin-1"))
            except Exception:
                jar = SimpleCookie()
            if COOKIE in jar:
                token = jar[COOKIE].value
        if scope.get("path", "").startswith(_SESSIONLESS):
            session, new = None, False  # packaged assets: no session, no cookie
        else:
            session, new = self.sessions.get(token)
        scope.setdefault("state", {})["session"] = session
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _BodyTooLarge
            return message

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                out = list(message.get("headers") or [])
                out.extend(SECURITY_HEADERS)
                if new and session is not None:
                    cookie = (
                        f"{COOKIE}={session.token}; Path=/; HttpOnly; SameSite=Strict"
                    ).encode()
                    out.append((b"set-cookie", cookie))
                message["headers"] = out
            await send(message)

        try:
            await self.app(scope, limited_receive, send_with_headers)
        except _BodyTooLarge:
            if not started:
                await self._reject(scope, send)
        except Exception:
            # answered here (not by Starlette's outer error layer) so that a 500 carries the
            # same security headers as every other response
            _log.exception("unhandled error in %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise
            await self._respond(scope, send, 500, "internal error; the server log has the details")

    async def _reject(self, scope: Scope, send: Send) -> None:
        await self._respond(scope, send, 413, _too_large_message(self.max_bytes))

    async def _respond(self, scope: Scope, send: Send, status: int, message: str) -> None:
        """A short error response (JSON under ``/api``, else HTML) with the security headers."""
        if scope.get("path", "").startswith("/api/"):
            body = json.dumps({"detail": message, "errors": [message]}).encode()
            ctype = b"application/json"
        else:
            title = "Upload too large" if status == 413 else f"Error {status}"
            body = (
                f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{title}"
                "</title><link rel=stylesheet href=/static/style.css></head><body><main>"
                f'<h1>{title}</h1><p role="alert" class="error">{html.escape(message)}</p>'
                '<p><a href="/">Back to the dashboard</a></p></main></body></html>'
            ).encode()
            ctype = b"text/html; charset=utf-8"
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", ctype),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                    *SECURITY_HEADERS,
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
