"""``GET /metrics``: the service in Prometheus' text format (``prometheus-client``).

What an operator graphs and alerts on: requests by route template and status, latency
histograms per route, decisions by kind, tracker writes (new or repeated documents), and
the engine's answer cache (hits and misses of the durable backend's memo; absent for the
pure-Python backend, which has none), and the delivery outbox's depth (messages pending
and dead, read at scrape time: a growing ``pending`` means the worker is not running or
the receivers are down; ``dead`` needs an administrator's re-drive). Labels are route *templates*
(``/v1/decisions/{decision_id}``) and never values: no ids, keys, bodies or personal data
reach the metrics, and their number stays bounded.

Each app has its own ``CollectorRegistry`` (several apps live in one test process).
The endpoint needs no key, like ``/healthz``: scrapers seldom hold one, and nothing in it
names a caller.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Request, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy.engine import Engine as Database
from sqlalchemy.exc import SQLAlchemyError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from quyche_rules.delivery.outbox import DEAD, PENDING
from quyche_rules.delivery.queue import counts as outbox_counts
from quyche_rules.engine.engine import Engine


class _EngineCache(Collector):
    """Read the backend's memo counters at scrape time (no hook in the hot path)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[CounterMetricFamily]:
        backend: Any = self.engine.backend
        if not hasattr(backend, "memo_hits"):
            return
        fam = CounterMetricFamily(
            "quyche_engine_cache", "answers of the engine's memo, by result", labels=["result"]
        )
        fam.add_metric(["hit"], float(backend.memo_hits))
        fam.add_metric(["miss"], float(backend.memo_misses))
        yield fam


class _OutboxDepth(Collector):
    """Count the outbox's messages by status at scrape time: one grouped ``COUNT`` on the
    indexed ``status`` column, nothing kept in memory that could drift from the table."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            got = outbox_counts(self.db)
        except SQLAlchemyError:
            return  # the database is down: /readyz says so; a scrape must still answer
        fam = GaugeMetricFamily(
            "quyche_outbox_messages",
            "messages in the delivery outbox, by status (pending: still to deliver; "
            "dead: given up, waiting for a re-drive)",
            labels=["status"],
        )
        for status in (PENDING, DEAD):
            fam.add_metric([status], float(got.get(status, 0)))
        yield fam


class Metrics:
    """The service's collectors, in one registry per app."""

    def __init__(self, engine: Engine, db: Database | None = None) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "quyche_http_requests",
            "HTTP requests by method, route template and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "quyche_http_request_duration_seconds",
            "time to answer, by method and route template",
            ["method", "route"],
            registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
        )
        self.decisions = Counter(
            "quyche_decisions", "decisions logged, by kind", ["kind"], registry=self.registry
        )
        self.tracker_writes = Counter(
            "quyche_tracker_writes",
            "events recorded by the tracker; created=false: the document was recorded before",
            ["created"],
            registry=self.registry,
        )
        self.registry.register(_EngineCache(engine))
        # the children bound to each set of labels, looked up once: ``labels`` checks and
        # joins its arguments under a lock on every call (a few per request). Bounded, as
        # the labels are: route templates, statuses, kinds.
        self._answered: dict[tuple[str, str, int], tuple[Any, Any]] = {}
        self._decided: dict[str, Any] = {}
        if db is not None:
            self.registry.register(_OutboxDepth(db))

    def decided(self, kind: str, result: Any) -> None:
        counter = self._decided.get(kind)
        if counter is None:
            counter = self._decided[kind] = self.decisions.labels(kind)
        counter.inc()
        if kind == "track" and isinstance(result, dict):
            created = bool(result.get("record", {}).get("created"))
            self.tracker_writes.labels(str(created).lower()).inc()

    def answered(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count and time one HTTP answer (``route``: the template, never values)."""
        bound = self._answered.get((method, route, status))
        if bound is None:
            bound = (
                self.requests.labels(method, route, str(status)),
                self.latency.labels(method, route),
            )
            self._answered[(method, route, status)] = bound
        bound[0].inc()
        bound[1].observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)


class RequestMetrics:
    """ASGI middleware: count and time every HTTP request by its route template."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = [500]

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = getattr(scope.get("route"), "path", None) or "(no route)"
            elapsed = time.perf_counter() - start
            self.metrics.answered(scope["method"], route, status[0], elapsed)


router = APIRouter(tags=["health"])


@router.get(
    "/metrics",
    response_class=Response,
    summary="Prometheus metrics",
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
)
def metrics(request: Request) -> Response:
    m: Metrics = request.app.state.metrics
    return Response(m.render(), media_type=CONTENT_TYPE_LATEST)
