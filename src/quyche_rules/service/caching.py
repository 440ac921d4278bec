"""``ETag`` and ``Cache-Control`` for the answers that change only with the rulebook.

Rules, clauses, coverage, parties and schemas are a function of three things: the rule
files (``rulebook.content_hash``), the profile in force (its file and content hash) and
the package that shapes the JSON (its version). Their hash is the ``ETag``, the same for
every such answer of one deployment, so a client that cached ``/v1/rules`` revalidates
with ``If-None-Match`` and gets a body-less 304 until the rulebook changes.

The tag is *weak* (``W/"…"``): the gzip middleware may re-encode the bytes, and a strong
tag promises identical bytes. ``Cache-Control: private`` because the answers need a key
(a shared proxy must not serve them to another caller); ``max-age=300`` lets a client skip
even the revalidation for five minutes, ``must-revalidate`` forbids a stale answer after.
"""

from __future__ import annotations

import hashlib

from fastapi import Request, Response

from quyche_rules.engine.engine import Engine
from quyche_rules.service.receipts import package_version

CACHE_CONTROL = "private, max-age=300, must-revalidate"


def rulebook_etag(engine: Engine) -> str:
    profile = engine.profile.label if engine.profile is not None else "-"
    raw = f"{engine.rulebook.content_hash}|{profile}|{package_version()}"
    return f'W/"{hashlib.sha256(raw.encode()).hexdigest()[:32]}"'


def _matches(header: str | None, etag: str) -> bool:
    """RFC 9110 weak comparison against an ``If-None-Match`` list (or ``*``)."""
    if not header:
        return False
    opaque = etag.removeprefix("W/")
    for tag in header.split(","):
        tag = tag.strip()
        if tag == "*" or tag.removeprefix("W/") == opaque:
            return True
    return False


def revalidate(request: Request, response: Response, etag: str) -> Response | None:
    """Set the caching headers on ``response``; a 304 to return when the client's copy is
    current, else None (answer as usual)."""
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL}
    if _matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    response.headers.update(headers)
    return None
