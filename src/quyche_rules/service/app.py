"""The application factory: ``create_app(settings)`` builds one FastAPI app.

Everything a request needs is built once here (the compiled engine, the store, the receipt
maker, the rate limiter) and kept on ``app.state.services``. Routers are listed in
``ROUTERS`` (the tracker's is ``routers/track.py``: ``POST /v1/track``,
``GET /v1/track/status``, case history, iCalendar feed); the pages of issue 12 (at ``/``,
left free) are added by passing ``extra_routers``. The tracker works on the same database
as the decision log (``settings.db_url``).

Errors are always RFC 9457 problem details (``problems``): ``application/problem+json``
whose ``detail`` is one line naming the place (``body.requester``, ``received``,
``Authorization``), never a traceback. Every response carries ``X-Request-ID``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.gzip import GZipMiddleware

from quyche_rules.delivery.outbox import attach
from quyche_rules.engine.engine import Engine
from quyche_rules.service import outage
from quyche_rules.service.auth import KeyCache, RateLimiter
from quyche_rules.service.bodyread import key_is_valid
from quyche_rules.service.caching import rulebook_etag
from quyche_rules.service.deps import Services
from quyche_rules.service.fastpath import NotifyFastPath
from quyche_rules.service.language import Language
from quyche_rules.service.logwriter import DecisionWriter
from quyche_rules.service.metrics import Metrics, RequestMetrics
from quyche_rules.service.metrics import router as metrics_router
from quyche_rules.service.middleware import GZIP_LEVEL, GZIP_MINIMUM_SIZE, AccessLog, BodyLimit
from quyche_rules.service.openapi import install as install_openapi
from quyche_rules.service.openapi import operation_id
from quyche_rules.service.page_headers import PageHeaders
from quyche_rules.service.problems import Problem
from quyche_rules.service.problems import install as install_problems
from quyche_rules.service.ratelimit import DatabaseRateLimiter
from quyche_rules.service.receipts import ReceiptMaker, package_version
from quyche_rules.service.registry import RegistryScope
from quyche_rules.service.requestid import RequestId
from quyche_rules.service.routers import decisions, docs, health, lookup, notify, queries, track
from quyche_rules.service.settings import Settings
from quyche_rules.service.store import Store
from quyche_rules.service.tenants import Tenants, check_names, profile_name, profile_refs
from quyche_rules.tracker import Tracker

log = logging.getLogger("quyche.service")

ROUTERS = (
    notify.router,
    queries.router,
    track.router,
    decisions.router,
    lookup.router,
    health.router,
    docs.router,  # /docs and /redoc from packaged assets, never a CDN
    metrics_router,
)

_ERR = {"model": Problem}
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {**_ERR, "description": "body cannot be read (not UTF-8 JSON)"},
    401: {**_ERR, "description": "no, unknown or revoked API key"},
    403: {**_ERR, "description": "the key is bound to a profile other than the one asked"},
    404: {**_ERR, "description": "no such thing, or not visible to this key"},
    413: {**_ERR, "description": "body larger than the limit"},
    422: {**_ERR, "description": "invalid input; detail names the field"},
    429: {**_ERR, "description": "over the rate limit of this key; see Retry-After"},
}


DESCRIPTION = """Executable duties of the *Quy chế phối hợp công tác*: for an event, who must
notify, consult, invite or inform whom, in what form and by when, each answer citing its
clause. Every decision carries a receipt (rulebook hash, versions, input hash) and is logged;
`GET /v1/decisions/{id}` fetches it back. Send `Authorization: Bearer <key>` (made with
`quyche keys create`)."""


def create_app(
    settings: Settings | None = None,
    *,
    engine: Engine | None = None,
    extra_routers: Iterable[Any] = (),
) -> FastAPI:
    """Build the app; brings the shared database to the newest schema (idempotent).

    ``engine``: a compiled engine to reuse (tests); else one is built from ``settings``
    (backend, profile). Its registry (``engine.parties``) is the one events are validated
    against, so a profile's bodies are accepted wherever an event is."""
    settings = settings or Settings()
    refs = profile_refs(settings.profile, settings.profiles, settings.profiles_dir)
    check_names(refs)
    if engine is None:
        # several profiles: the app's own engine is the regulation alone (unbound keys)
        own = refs[0] if len(refs) == 1 else None
        engine = Engine(backend=settings.backend, profile=own)
    _warm(engine)
    # one SQLAlchemy engine for the service's tables and the tracker's (one pool, one set
    # of SQLite settings); the tracker's store runs the migrations, once
    store = Store(settings.db_url, sqlite_sync=settings.sqlite_sync)
    store.daily_quota = settings.decisions_per_day  # enforced where decisions are stored
    tracker = attach(Tracker(store.engine, engine=engine))  # records queue their messages
    app = FastAPI(
        title="quyche-rules",
        version=package_version(),
        description=DESCRIPTION,
        responses=ERRORS,
        docs_url=None,  # served by routers/docs.py, offline
        redoc_url=None,
        generate_unique_id_function=operation_id,
    )
    app.state.metrics = Metrics(engine, store.engine)
    app.state.services = Services(
        settings=settings,
        engine=engine,
        store=store,
        receipts=ReceiptMaker(engine),
        limiter=_limiter(settings, store),
        log=DecisionWriter(store),
        tracker=tracker,
        etag=rulebook_etag(engine),
        metrics=app.state.metrics,
        keys=KeyCache(store, settings.key_cache_seconds),
    )
    app.state.tenants = _tenants(app.state.services, refs, settings)
    for router in (*ROUTERS, *extra_routers):
        app.include_router(router)
    # issue 12: the pages at /, /bodies/, /ask, /morning, /static/ (imported here so the
    # import block above, where the tracker's router is added, stays as it was)
    from quyche_rules.service.routers.pages import install

    install(app)
    from quyche_rules.service.routers.delivery import router as delivery_router

    app.include_router(delivery_router)  # calendar feed, subscriptions, deliveries, decisions
    install_problems(app)
    outage.install(app)  # database errors: 503 with Retry-After when it is an outage
    install_openapi(app)
    # the literate page is ~600 KB of HTML that compresses ~10×: a clerk on a provincial
    # network should not wait for it (only for clients that send Accept-Encoding: gzip)
    app.add_middleware(GZipMiddleware, minimum_size=GZIP_MINIMUM_SIZE, compresslevel=GZIP_LEVEL)
    # an oversized body without a valid key is 401, not 413: the key before the body
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes, authorised=key_is_valid(store))
    if settings.access_log:
        app.add_middleware(AccessLog)
    app.add_middleware(PageHeaders)
    app.add_middleware(Language)
    app.add_middleware(RequestMetrics, metrics=app.state.metrics)
    # outermost: every layer below, and every router, sees the app's registry
    app.add_middleware(
        RegistryScope,
        registry=engine.parties if engine.profile else None,
        profile=engine.profile,
    )
    # outermost of all: the request id is set before anything can answer, errors included
    app.add_middleware(RequestId)
    # before all of them, the common notify answered with the same functions (fastpath)
    app.add_middleware(
        NotifyFastPath,
        enabled=settings.fast_path,
        max_body=settings.max_body_bytes,
        access_log=settings.access_log,
        registry=engine.parties if engine.profile else None,
        profile=engine.profile,
    )
    return app


def _warm(engine: Engine) -> None:
    """durable-rules sets a ruleset up on its first fact (~150 ms): pay it at start-up, not
    on the first caller's request (dated on or after the profile's signing date)."""
    warm = dt.date(2025, 1, 1)
    if engine.profile is not None:
        warm = max(warm, engine.profile.regulation.signed_on)
    engine.who_must_be_notified({"type": "period_started", "date": warm, "period": "year"})


def _limiter(settings: Settings, store: Store) -> RateLimiter | DatabaseRateLimiter:
    """Per-key buckets in the database (shared by every worker and instance) or in this
    process; ``auto``: the database on PostgreSQL, where instances run side by side, this
    process on SQLite, where a take would cost a write transaction (docs/scaling.md)."""
    where = settings.rate_store
    if where == "auto":
        where = "database" if store.engine.dialect.name == "postgresql" else "memory"
    if where == "database":
        return DatabaseRateLimiter(store.engine, settings.rate_per_minute, settings.rate_burst)
    return RateLimiter(settings.rate_per_minute, settings.rate_burst)


def _tenants(base: Services, refs: list[str], settings: Settings) -> Tenants[Services]:
    """One engine per profile, compiled once, sharing the rulebook; each with its receipts
    (naming the profile), its tracker (same database) and its ETag. With at most one
    profile the app's own services answer every key, as they always did."""
    by_name: dict[str, Services] = {}
    bodies: dict[str, tuple[str, ...]] = {}
    if len(refs) <= 1:
        if base.engine.profile is not None:
            by_name[profile_name(base.engine.profile)] = base
        return Tenants(by_name, base, single=True, bodies=bodies)
    for ref in refs:
        engine = Engine(base.engine.rulebook, backend=settings.backend, profile=ref)
        _warm(engine)
        assert engine.profile is not None
        name = profile_name(engine.profile)
        by_name[name] = dataclasses.replace(
            base,
            engine=engine,
            receipts=ReceiptMaker(engine),
            tracker=attach(Tracker(base.store.engine, engine=engine)),
            etag=rulebook_etag(engine),
        )
        for body in engine.profile.body_ids:
            bodies[body] = (*bodies.get(body, ()), name)
    return Tenants(by_name, base, single=False, bodies=bodies)


def app_from_env() -> FastAPI:
    """Factory for uvicorn workers (``quyche serve`` passes settings as ``QUYCHE_*``)."""
    return create_app(Settings.from_env())
