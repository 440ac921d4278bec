"""Cursor pagination for list endpoints, added without breaking their bodies.

The lists answer a JSON array, as they always did; a client that sends no ``limit`` gets
the whole list, as before (the rulebook's lists are bounded: ~140 rules, ~100 bodies).
With ``limit``, the answer is one page of at most ``limit`` items, and when more follow:

* ``Link: <…?limit=N&cursor=C>; rel="next"`` (RFC 8288), the URL of the next page;
* ``X-Next-Cursor: C``, the cursor alone, for clients that build their own URLs.

The cursor is opaque (base64url of the last item's sort key): the next page starts after
that key, not at an offset, so items inserted meanwhile never make a page repeat or skip
one that was already there (keyset pagination).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from typing import Annotated, TypeVar

from fastapi import HTTPException, Query, Request, Response

T = TypeVar("T")

MAX_LIMIT = 1000

Limit = Annotated[
    int | None,
    Query(ge=1, le=MAX_LIMIT, description="page size; absent: the whole list (as before)"),
]
Cursor = Annotated[
    str | None,
    Query(max_length=400, description="X-Next-Cursor of the previous page (opaque)"),
]


def encode(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode("utf-8")).decode("ascii").rstrip("=")


def decode(cursor: str) -> str:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key = base64.b64decode(padded, altchars=b"-_", validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        key = ""
    if not key:
        raise HTTPException(422, "cursor: not a cursor this service gave")
    return key


def page(
    items: Sequence[T],
    key: Callable[[T], str],
    *,
    limit: int | None,
    cursor: str | None,
    request: Request,
    response: Response,
) -> list[T]:
    """The page of ``items`` (sorted by ``key``, ascending) after ``cursor``; sets the
    ``Link`` and ``X-Next-Cursor`` headers on ``response`` when a next page exists."""
    rest = list(items)
    if cursor is not None:
        after = decode(cursor)
        rest = [i for i in rest if key(i) > after]
    if limit is None:
        return rest
    out = rest[:limit]
    if len(rest) > limit:
        link_next(encode(key(out[-1])), limit=limit, request=request, response=response)
    return out


def link_next(cursor: str, *, limit: int, request: Request, response: Response) -> None:
    """Announce the next page: ``Link: <…>; rel="next"`` and ``X-Next-Cursor``."""
    url = request.url.include_query_params(limit=limit, cursor=cursor)
    response.headers["Link"] = f'<{url}>; rel="next"'
    response.headers["X-Next-Cursor"] = cursor
