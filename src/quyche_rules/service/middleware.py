"""Two plain ASGI middlewares: a request-size limit enforced before anything parses the
body, and a JSON access log that carries no personal data.

The access log records method, route template (``/v1/duties/{party}``, not the values),
status, duration, bytes and the key
id (a public 8-hex name, never the key). It never logs bodies, headers or client
addresses: events can name people (personnel actions), and an IP address is personal data.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from quyche_rules.service.problems import MEDIA_TYPE, problem_bytes

access_logger = logging.getLogger("quyche.access")

#: answers from this size up are gzipped for clients that accept it: the literate page is
#: ~600 KB of HTML that compresses ~10x; level 6 gives the size of 9 within 1 % on our
#: answers for a third less CPU
GZIP_MINIMUM_SIZE = 2048
GZIP_LEVEL = 6


async def _send_error(
    send: Send, status: int, detail: str, headers: tuple[tuple[bytes, bytes], ...] = ()
) -> None:
    body = problem_bytes(status, detail)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", MEDIA_TYPE.encode()),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    """Refuse (413) a body larger than ``limit`` bytes, by its Content-Length or, for a
    chunked body, as soon as the bytes received pass the limit.

    ``authorised``: asked before any refusal here; a request it says carries no valid key
    is answered 401 instead (the key before the body: ``bodyread``)."""

    def __init__(
        self,
        app: ASGIApp,
        limit: int,
        authorised: Callable[[Scope], Awaitable[bool]] | None = None,
    ) -> None:
        self.app = app
        self.limit = limit
        self.authorised = authorised

    async def _refuse(self, scope: Scope, send: Send, status: int, detail: str) -> None:
        if self.authorised is not None and not await self.authorised(scope):
            detail = "Authorization: a valid bearer API key is required"
            await _send_error(send, 401, detail, ((b"www-authenticate", b"Bearer"),))
            return
        await _send_error(send, status, detail)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.limit <= 0:
            await self.app(scope, receive, send)
            return
        detail = f"body: larger than the limit of {self.limit} bytes"
        for name, value in scope["headers"]:
            if name == b"content-length":
                try:
                    too_big = int(value) > self.limit
                except ValueError:
                    await self._refuse(scope, send, 400, "Content-Length: not a number")
                    return
                if too_big:
                    await self._refuse(scope, send, 413, detail)
                    return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # client went away
                await self.app(scope, _replay([message], receive), send)
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                await self._refuse(scope, send, 413, detail)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        await self.app(
            scope,
            _replay([{"type": "http.request", "body": body, "more_body": False}], receive),
            send,
        )


def _replay(messages: list[Message], then: Receive) -> Receive:
    """Give the app the buffered messages, then the real ``receive``. Answering
    ``http.disconnect`` once the buffer was empty (as this did first) told a streaming
    response that the client had gone, and Starlette's ``StaticFiles`` sent empty files."""
    queue = list(messages)

    async def receive() -> Message:
        if queue:
            return queue.pop(0)
        return await then()

    return receive


class AccessLog:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        info: dict[str, Any] = {"status": 500, "bytes_out": 0}

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                info["status"] = message["status"]
            elif message["type"] == "http.response.body":
                info["bytes_out"] += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            log_access(scope, info["status"], info["bytes_out"], start)


#: ``json.dumps(record, separators=(",", ":"))``'s encoder, made once: ``dumps`` builds a
#: new one on every call when given separators
_COMPACT = json.JSONEncoder(separators=(",", ":"))
#: the last second stamped and its text: every line of a busy second has the same one
_stamped: tuple[int, str] = (-1, "")


def _utc_stamp() -> str:
    """``time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())``, formatted once a second."""
    global _stamped
    now = int(time.time())
    second, text = _stamped
    if second != now:
        text = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))
        _stamped = (now, text)
    return text


def log_access(scope: Scope, status: int, bytes_out: int, start: float) -> None:
    """One access-log line for an answered request (when the logger is enabled)."""
    if not access_logger.isEnabledFor(logging.INFO):
        return
    state = scope.get("state") or {}
    route = scope.get("route")  # set by the router: the template, not the values
    record = {
        "ts": _utc_stamp(),
        "method": scope["method"],
        "path": getattr(route, "path", None) or "(no route)",
        "status": status,
        "ms": round((time.perf_counter() - start) * 1000, 2),
        "bytes_out": bytes_out,
        "key_id": state.get("key_id"),
        "request_id": state.get("request_id"),
    }
    access_logger.info(_COMPACT.encode(record))
