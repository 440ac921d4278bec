"""The messages that send a prepared JSON answer, written directly: what the full stack's
gzip (Starlette's ``GZipMiddleware``), language (``language.Language``) and request-id
(``requestid.RequestId``) layers make of a ``Response(body, media_type=
"application/json")`` with status 200, for the fast path of ``POST /v1/notify``.

Why not run the answer through Starlette's middleware, as the fast path first did: for a
body already in hand, a responder object per request, its header classes and the
normalising of its excluded types are Python work on the event loop around zlib's own
(about 15 µs a request here, a quarter of what gzipping a 7 KB answer costs in all). What
it does to such an answer is small and is written out here step by step, in its order:

- a body under ``GZIP_MINIMUM_SIZE`` is sent as it is;
- from that size up, ``Vary: Accept-Encoding`` is appended, and when the request's
  ``Accept-Encoding`` *contains* ``gzip`` (Starlette's test: a substring, case-sensitive,
  with no reading of q-values — ``gzip;q=0`` is gzipped, ``GZIP`` is not) the body is
  gzipped at ``GZIP_LEVEL`` (the same zlib call, the same bytes), ``Content-Encoding:
  gzip`` appended and ``Content-Length`` replaced in place; bodies from Starlette's
  ``thread_minimum_size`` up are compressed in a worker thread, as it does;
- then the language layer appends ``Content-Language`` and, when no ``Vary`` is there
  yet, ``Vary: Accept-Language``; the request-id layer appends ``X-Request-ID``.

``tests/service/test_prepared.py`` holds every branch byte for byte against Starlette's
middleware, and ``tests/service/test_fast_path.py`` the whole answer against the full
stack's.
"""

from __future__ import annotations

import zlib

from starlette.concurrency import run_in_threadpool
from starlette.types import Message

from quyche_rules.service.middleware import GZIP_LEVEL, GZIP_MINIMUM_SIZE

#: Starlette's ``GZipMiddleware`` compresses bodies from this size up in a worker thread
THREAD_MINIMUM_SIZE = 128 * 1024
_JSON = b"application/json"
_WBITS = 16 + zlib.MAX_WBITS  # a gzip wrapper, as Starlette asks of zlib


def wants_gzip(accept_encoding: bytes | None) -> bool:
    """Whether Starlette's gzip layer compresses for this ``Accept-Encoding`` (the one
    header's raw value; None when absent)."""
    return accept_encoding is not None and b"gzip" in accept_encoding


def gzip(body: bytes) -> bytes:
    """What Starlette's responder makes of a whole body (``compressobj`` with the same
    level and window, then ``flush``: ``zlib.compress`` gives the same bytes)."""
    return zlib.compress(body, GZIP_LEVEL, _WBITS)


async def messages(body: bytes, *, gzip_ok: bool, lang: str, request_id: bytes) -> list[Message]:
    """The start and body messages of a 200 JSON answer, headers in the full stack's
    order (see the module docstring)."""
    length = str(len(body)).encode()
    if len(body) < GZIP_MINIMUM_SIZE:
        headers = [
            (b"content-length", length),
            (b"content-type", _JSON),
            (b"content-language", lang.encode()),
            (b"vary", b"Accept-Language"),
        ]
    elif not gzip_ok:
        headers = [
            (b"content-length", length),
            (b"content-type", _JSON),
            (b"vary", b"Accept-Encoding"),
            (b"content-language", lang.encode()),
        ]
    else:
        if len(body) >= THREAD_MINIMUM_SIZE:
            body = await run_in_threadpool(gzip, body)
        else:
            body = gzip(body)
        headers = [
            (b"content-length", str(len(body)).encode()),
            (b"content-type", _JSON),
            (b"vary", b"Accept-Encoding"),
            (b"content-encoding", b"gzip"),
            (b"content-language", lang.encode()),
        ]
    headers.append((b"x-request-id", request_id))
    return [
        {"type": "http.response.start", "status": 200, "headers": headers},
        {"type": "http.response.body", "body": body},
    ]
