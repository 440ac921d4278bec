"""What every request handler needs: the compiled engine, the store, the receipt maker,
the rate limiter, and the caller (``Principal``) checked from its bearer key."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from quyche_rules.engine.engine import Engine
from quyche_rules.service.auth import KeyCache, Principal, RateLimiter, authenticate, needs_read
from quyche_rules.service.logwriter import DecisionWriter
from quyche_rules.service.metrics import Metrics
from quyche_rules.service.ratelimit import DatabaseRateLimiter
from quyche_rules.service.receipts import ReceiptMaker
from quyche_rules.service.registry import REGISTRY
from quyche_rules.service.settings import Settings
from quyche_rules.service.store import Store
from quyche_rules.service.tenants import PROFILE_HEADER, TenantRefused, Tenants
from quyche_rules.tracker import Tracker


@dataclass
class Services:
    settings: Settings
    engine: Engine
    store: Store
    receipts: ReceiptMaker
    limiter: RateLimiter | DatabaseRateLimiter
    log: DecisionWriter
    tracker: Tracker  # on the same database as ``store``
    #: ETag of every answer that changes only with the rulebook (``caching``)
    etag: str = ""
    #: the app's Prometheus collectors (``metrics``); None in a bare ``Services``
    metrics: Metrics | None = None
    #: the keys read from ``store``, kept ``settings.key_cache_seconds``; None: read each time
    keys: KeyCache | None = None


async def services(request: Request) -> Services:
    """The services of the profile that answers this caller (``tenants``): the app's own
    when it serves one profile or none. Async on purpose: a kept key costs no I/O and no
    thread-pool hop (a key not kept is read in the pool). A key that cannot be answered
    gets the app's own services here; ``principal`` refuses it with the reason. Sets the
    registry events are validated against (``registry.REGISTRY``) before the body is read.
    The header is read here, not through ``_bearer``: public routes use this dependency
    too, and must not be documented as needing a key."""
    svc: Services = request.app.state.services
    tenants: Tenants[Services] | None = getattr(request.app.state, "tenants", None)
    if tenants is None or tenants.single:
        return svc  # one profile (or none): the app's own, or a refusal from ``principal``
    scheme, _, key = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        return svc
    key = key.strip()
    who = authenticate(svc.store, key, svc.keys, read=False) if svc.keys else None
    if who is None:
        who = await run_in_threadpool(authenticate, svc.store, key, svc.keys)
    if who is None:
        return svc
    try:
        return answering(tenants, who, request.headers.get(PROFILE_HEADER))
    except TenantRefused:
        return svc


def answering(tenants: Tenants[Services], who: Principal, asked: str | None) -> Services:
    """The services of the profile ``tenants`` answer ``who`` under (``TenantRefused``
    when none may), with the registry its events are validated against set for the rest
    of the request (``registry.REGISTRY``)."""
    mine = tenants.choose(who, asked)
    REGISTRY.set(mine.engine.parties if mine.engine.profile is not None else None)
    return mine


_bearer = HTTPBearer(auto_error=False, description="an API key made by `quyche keys create`")

UNAUTHORIZED = {"WWW-Authenticate": "Bearer"}


def check_request_key(request: Request) -> Principal:
    """The caller of ``request`` from its ``Authorization`` header, or 401 (no, malformed,
    unknown or revoked key), or 429 (over its rate). Checked once per request and kept
    on ``request.state``: ``bodyread.KeyFirstRoute`` calls it before the body is read,
    the ``principal`` dependency then finds it there."""
    known: Principal | None = getattr(request.state, "principal", None)
    if known is not None:
        return known
    svc: Services = request.app.state.services
    scheme, _, credentials = (request.headers.get("authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        raise HTTPException(401, "Authorization: a bearer API key is required", UNAUTHORIZED)
    who = authenticate(svc.store, credentials.strip(), svc.keys)
    if who is None:
        raise HTTPException(401, "Authorization: unknown or revoked API key", UNAUTHORIZED)
    tenants: Tenants[Services] | None = getattr(request.app.state, "tenants", None)
    if tenants is not None:
        try:
            tenants.choose(who, request.headers.get(PROFILE_HEADER))
        except TenantRefused as exc:
            raise HTTPException(exc.status, exc.detail) from None
    request.state.key_id = who.key_id  # for the access log: the key id, never the key
    wait = svc.limiter.take(who.key_id)
    if wait > 0:
        raise HTTPException(
            429,
            f"rate limit: {svc.settings.rate_per_minute} requests per minute per key",
            {"Retry-After": str(max(1, math.ceil(wait)))},
        )
    request.state.principal = who
    return who


def _needs_io(request: Request) -> bool:
    """Would ``check_request_key`` touch the database? Only to read a key the cache does
    not keep (``auth.needs_read``) or to take from a rate limit kept in the database."""
    if getattr(request.state, "principal", None) is not None:
        return False
    svc: Services = request.app.state.services
    if isinstance(svc.limiter, DatabaseRateLimiter) and svc.limiter.enabled:
        return True
    scheme, _, credentials = (request.headers.get("authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        return False  # refused as it is
    return needs_read(credentials.strip(), svc.keys)


async def check_request_key_async(request: Request) -> Principal:
    """``check_request_key`` for a handler on the event loop: on the loop itself when it
    needs no I/O (a key the cache keeps, the rate limit in memory: a busy caller), else
    in a worker thread, so the loop never waits for the database."""
    if _needs_io(request):
        return await run_in_threadpool(check_request_key, request)
    return check_request_key(request)


async def principal(
    request: Request,
    svc: Annotated[Services, Depends(services)],
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The caller, or 401 (no, malformed, unknown or revoked key), or 429 (over its rate).
    ``creds`` is declared for the OpenAPI document (the bearer scheme); the header is read
    by ``check_request_key``. Async: a kept key costs no hop to a worker thread."""
    return await check_request_key_async(request)


Svc = Annotated[Services, Depends(services)]
Caller = Annotated[Principal, Depends(principal)]
