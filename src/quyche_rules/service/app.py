"""The application factory: ``create_app(settings)`` builds one FastAPI app.

Everything a request needs is built once here (the compiled engine, the store, the receipt
maker, the rate limiter) and kept on ``app.state.services``. Routers are listed in
``ROUTERS`` (the tracker's is ``routers/track.py``: ``POST /v1/track``,
``GET /v1/track/status``, case history, iCalendar feed); the pages of issue 12 (at ``/``,
left free) are added by passing ``extra_routers``. The tracker works on the same database
as the decision log (``settings.db_url``).

Errors are always JSON ``{"detail": "<one line>"}`` naming the place (``body.requester``,
``received``, ``Authorization``), never a traceback.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from quyche_rules.engine.engine import Engine
from quyche_rules.errors import QuycheError
from quyche_rules.model.events import EVENT_TYPES
from quyche_rules.service import outage
from quyche_rules.service.auth import RateLimiter
from quyche_rules.service.deps import Services
from quyche_rules.service.logwriter import DecisionWriter
from quyche_rules.service.middleware import AccessLog, BodyLimit
from quyche_rules.service.models import ErrorOut
from quyche_rules.service.receipts import ReceiptMaker, package_version
from quyche_rules.service.registry import EVENT_ERROR, RegistryScope
from quyche_rules.service.routers import decisions, health, lookup, notify, queries, track
from quyche_rules.service.settings import Settings
from quyche_rules.service.store import Store
from quyche_rules.tracker import Tracker

log = logging.getLogger("quyche.service")

ROUTERS = (
    notify.router,
    queries.router,
    track.router,
    decisions.router,
    lookup.router,
    health.router,
)

_ERR = {"model": ErrorOut}
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {**_ERR, "description": "body cannot be read (not UTF-8 JSON)"},
    401: {**_ERR, "description": "no, unknown or revoked API key"},
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


def one_line(text: str, limit: int = 300) -> str:
    """One printable line. A lone surrogate (JSON's ``"\\ud800"``) quoted back in a
    message cannot be encoded as UTF-8: it is written as its escape, not sent as a 500."""
    line = " ".join(str(text).split())
    line = line.encode("utf-8", "backslashreplace").decode("utf-8")
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _validation_detail(exc: RequestValidationError) -> str:
    errors = exc.errors()
    if not errors:
        return "request: invalid"
    err = errors[0]
    # drop the union tag pydantic puts in the path of a discriminated union member
    loc = [str(p) for p in err.get("loc", ()) if p not in EVENT_TYPES]
    msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
    kind = err.get("type")
    if kind == EVENT_ERROR:  # validated against a profile's registry: field in ctx
        ctx = err.get("ctx") or {}
        loc.extend(p for p in str(ctx.get("field", "")).split(".") if p)
        msg = str(ctx.get("msg", msg))
    elif kind == "json_invalid":
        msg = "malformed JSON"
    elif kind == "union_tag_invalid":
        tag = (err.get("ctx") or {}).get("tag", "?")
        loc.append("type")
        msg = f"unknown event type {str(tag)[:60]!r} (see GET /v1/schemas/events)"
    elif kind == "union_tag_not_found":
        loc.append("type")
        msg = "missing; every event names its type"
    where = ".".join(loc[1:] if loc and loc[0] in ("query", "path") else loc) or "request"
    return one_line(f"{where}: {msg}")


def _install_error_handlers(app: FastAPI) -> None:
    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        detail = str(exc.detail)
        if detail == "There was an error parsing the body":  # FastAPI's words, no place
            detail = "body: cannot be read as UTF-8 JSON"
        return JSONResponse(
            {"detail": one_line(detail)},
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    async def validation_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return JSONResponse({"detail": _validation_detail(exc)}, status_code=422)

    async def quyche_error(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": one_line(str(exc))}, status_code=422)

    async def internal_error(request: Request, exc: Exception) -> JSONResponse:
        log.exception("internal error on %s", request.url.path)
        return JSONResponse({"detail": "internal error"}, status_code=500)

    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(QuycheError, quyche_error)
    app.add_exception_handler(Exception, internal_error)
    outage.install(app)  # database errors: 503 with Retry-After when it is an outage


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
    engine = engine or Engine(backend=settings.backend, profile=settings.profile)
    # durable-rules sets a ruleset up on its first fact (~150 ms): pay it here, at start-up,
    # not on the first caller's request (dated on or after the profile's signing date)
    warm = dt.date(2025, 1, 1)
    if engine.profile is not None:
        warm = max(warm, engine.profile.regulation.signed_on)
    engine.who_must_be_notified({"type": "period_started", "date": warm, "period": "year"})
    # one SQLAlchemy engine for the service's tables and the tracker's (one pool, one set
    # of SQLite settings); the tracker's store runs the migrations, once
    store = Store(settings.db_url, sqlite_sync=settings.sqlite_sync)
    tracker = Tracker(store.engine, engine=engine)
    app = FastAPI(
        title="quyche-rules",
        version=package_version(),
        description=DESCRIPTION,
        responses=ERRORS,
    )
    app.state.services = Services(
        settings=settings,
        engine=engine,
        store=store,
        receipts=ReceiptMaker(engine),
        limiter=RateLimiter(settings.rate_per_minute, settings.rate_burst),
        log=DecisionWriter(store),
        tracker=tracker,
    )
    for router in (*ROUTERS, *extra_routers):
        app.include_router(router)
    # issue 12: the pages at /, /bodies/, /ask, /morning, /static/ (imported here so the
    # import block above, where the tracker's router is added, stays as it was)
    from quyche_rules.service.routers.pages import install

    install(app)
    _install_error_handlers(app)
    # the literate page is ~600 KB of HTML that compresses ~10×: a clerk on a provincial
    # network should not wait for it (only for clients that send Accept-Encoding: gzip)
    app.add_middleware(GZipMiddleware, minimum_size=2048)
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    if settings.access_log:
        app.add_middleware(AccessLog)
    # outermost: every layer below, and every router, sees the app's registry
    app.add_middleware(RegistryScope, registry=engine.parties if engine.profile else None)
    return app


def app_from_env() -> FastAPI:
    """Factory for uvicorn workers (``quyche serve`` passes settings as ``QUYCHE_*``)."""
    return create_app(Settings.from_env())
