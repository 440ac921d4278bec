"""The request id: ``X-Request-ID`` accepted from the caller or made here, and carried
everywhere a request leaves a trace.

An integrator's gateway usually stamps its own id on a request; reusing it lets one search
the gateway's logs, ours and the decision log for the same string. A caller's id is kept
only when it is a short token of safe characters (it is echoed in a header and written in
logs: no spaces, quotes or control characters that could forge a log line); anything else
is replaced by a fresh one. The id is set in a context variable for the request, so the
problem details (``instance``), the access log and the decision receipts read the same
value without passing it around.
"""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar

from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = "X-Request-ID"
_HEADER_KEY = HEADER.lower().encode("latin-1")
_SAFE = re.compile(r"^[A-Za-z0-9._:@+=-]{1,128}$")

#: the id of the request being answered; None outside a request (library, CLI)
REQUEST_ID: ContextVar[str | None] = ContextVar("quyche_request_id", default=None)


def current() -> str | None:
    return REQUEST_ID.get()


def accept(value: str | None) -> str:
    """The caller's id when it is safe to echo and log, else a fresh UUID (hex)."""
    if value is not None and _SAFE.match(value):
        return value
    return uuid.uuid4().hex


def given_or_new(scope: Scope) -> str:
    """The request's id: the caller's ``X-Request-ID`` when it is safe (``accept``)."""
    given = None
    for name, value in scope["headers"]:
        if name == _HEADER_KEY:
            given = value.decode("latin-1")
            break
    return accept(given)


def with_id(headers: list[tuple[bytes, bytes]], raw: bytes) -> list[tuple[bytes, bytes]]:
    """An answer's headers with ``X-Request-ID`` last (replacing one set before)."""
    out = [(k, v) for k, v in headers if k != _HEADER_KEY]
    out.append((_HEADER_KEY, raw))
    return out


class RequestId:
    """Outermost ASGI middleware: sets ``REQUEST_ID`` (and ``scope["state"]["request_id"]``)
    and adds ``X-Request-ID`` to every HTTP response, errors and 304s included."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = given_or_new(scope)
        scope.setdefault("state", {})["request_id"] = rid
        raw = rid.encode("latin-1")

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": with_id(message.get("headers", []), raw)}
            await send(message)

        token = REQUEST_ID.set(rid)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            REQUEST_ID.reset(token)
