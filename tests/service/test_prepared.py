"""``service.prepared`` writes what Starlette's gzip layer, then the language and the
request-id layers, make of a 200 JSON answer: the same messages, byte for byte, for every
size around the gzip threshold and every reading of ``Accept-Encoding`` that matters."""

from __future__ import annotations

import asyncio
import gzip as gzip_module
from typing import Any

import pytest
from fastapi.responses import Response
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import Message, Receive, Scope, Send

from quyche_rules.service.language import say_language
from quyche_rules.service.middleware import GZIP_LEVEL, GZIP_MINIMUM_SIZE
from quyche_rules.service.prepared import THREAD_MINIMUM_SIZE, messages, wants_gzip
from quyche_rules.service.requestid import with_id

RID = b"0123456789abcdef0123456789abcdef"


def _body(size: int) -> bytes:
    """JSON-like bytes of exactly ``size`` (compressible, like an answer)."""
    unit = '{"obligations":[{"rule_id":"art3.1","quote":"Thường trực Đảng ủy Khối"}],'.encode()
    return (unit * (size // len(unit) + 1))[:size]


def _full_stack(body: bytes, accept_encoding: bytes | None, lang: str) -> list[Message]:
    """The messages the full stack's layers send for ``Response(body)``."""
    sent: list[Message] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await Response(body, media_type="application/json")(scope, receive, send)

    async def outer(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = say_language(list(message.get("headers", [])), lang)
            message = {**message, "headers": with_id(headers, RID)}
        sent.append(message)

    async def receive() -> Message:
        return {"type": "http.disconnect"}

    headers = [] if accept_encoding is None else [(b"accept-encoding", accept_encoding)]
    scope: dict[str, Any] = {"type": "http", "method": "POST", "headers": headers}
    layer = GZipMiddleware(app, minimum_size=GZIP_MINIMUM_SIZE, compresslevel=GZIP_LEVEL)
    asyncio.run(layer(scope, receive, outer))
    return sent


ENCODINGS = [
    None,
    b"",
    b"gzip",
    b"gzip, deflate",
    b"gzip, deflate, br, zstd",
    b"GZIP",  # Starlette's test is case-sensitive: not gzipped
    b"gzip;q=0",  # and reads no q-values: gzipped
    b"x-gzip",
    b"identity",
    b"br",
    b"*",
]


@pytest.mark.parametrize("accept_encoding", ENCODINGS)
@pytest.mark.parametrize(
    "size", [0, 40, GZIP_MINIMUM_SIZE - 1, GZIP_MINIMUM_SIZE, 9000, THREAD_MINIMUM_SIZE + 5]
)
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_same_messages_as_starlettes_layers(
    size: int, accept_encoding: bytes | None, lang: str
) -> None:
    body = _body(size)
    mine = asyncio.run(
        messages(body, gzip_ok=wants_gzip(accept_encoding), lang=lang, request_id=RID)
    )
    theirs = _full_stack(body, accept_encoding, lang)
    assert [m["type"] for m in theirs] == ["http.response.start", "http.response.body"]
    assert mine[0] == theirs[0]  # status, header names, values and order
    assert mine[1]["body"] == theirs[1]["body"]  # the compressed bytes themselves
    encoded = dict(mine[0]["headers"]).get(b"content-encoding") == b"gzip"
    assert encoded == (size >= GZIP_MINIMUM_SIZE and wants_gzip(accept_encoding))
    got = gzip_module.decompress(mine[1]["body"]) if encoded else mine[1]["body"]
    assert got == body
