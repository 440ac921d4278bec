"""Reading a request's JSON body, after its key: the route class of every router that
takes one.

Two rules FastAPI's own handler does not keep:

1. **The key first.** FastAPI reads and parses the body before it runs a single
   dependency, so a caller without a valid key learnt from a 422 or a 400 how its body
   was read. Here a route that needs a key (``deps.principal``) checks it before the body
   is read: no key, a bad key → 401 whatever the body. (An oversized body is refused by
   ``middleware.BodyLimit``, which asks the same question before it answers 413.)
2. **The CLI's reader.** The body is parsed once by ``io.jsonin.read_json`` — duplicate
   keys refused (422 with a JSON Pointer to the repeated key), strict UTF-8, no ``NaN``
   — and handed to FastAPI as the request's already-parsed JSON (Starlette caches it on
   the request as ``_json``), so it is not parsed twice.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.types import Scope

from quyche_rules.io.jsonin import read_json
from quyche_rules.service.auth import authenticate
from quyche_rules.service.deps import check_request_key_async, principal
from quyche_rules.service.store import Store

_WITH_BODY = frozenset({"POST", "PUT", "PATCH"})


def _needs_key(dependant: Dependant) -> bool:
    return any(d.call is principal or _needs_key(d) for d in dependant.dependencies)


def _is_json(content_type: str | None) -> bool:
    if not content_type:
        return True  # FastAPI reads a body without a Content-Type as JSON too
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


class KeyFirstRoute(APIRoute):
    """An ``APIRoute`` that checks the key before the body, and reads the body with the
    CLI's JSON rules (see the module docstring)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        needs_key = _needs_key(self.dependant)

        async def read_after_key(request: Request) -> Response:
            if request.method in _WITH_BODY:
                if needs_key and not hasattr(request.state, "principal"):
                    await check_request_key_async(request)  # a hop only to read the key
                body = await request.body()
                if body and _is_json(request.headers.get("content-type")):
                    parsed = read_json(body)  # EventError: 422 naming the place
                    request._json = parsed  # Starlette's cache: FastAPI reads it from here
            return await handler(request)

        return read_after_key


def key_is_valid(store: Store) -> Callable[[Scope], Awaitable[bool]]:
    """For ``middleware.BodyLimit``: does a request to the API (``/v1/``, where every
    route that takes a body needs a key) carry a valid key? Asked only before refusing a
    body as too large, so that a caller without a key gets 401, never 413."""

    async def valid(scope: Scope) -> bool:
        if not str(scope.get("path", "")).startswith("/v1/"):
            return True
        for name, value in scope.get("headers", ()):
            if name == b"authorization":
                scheme, _, key = value.decode("latin-1").partition(" ")
                if scheme.lower() == "bearer" and key.strip():
                    return await run_in_threadpool(authenticate, store, key.strip()) is not None
        return False

    return valid
