"""Every status the OpenAPI document declares is one the service really answers, and it
answers no other: for every operation and every declared status, a call in this module
observes it, and every answer observed here is declared.

A client generated from the document gets a branch per declared status; one that can
never happen is dead code in every client, one that happens undeclared crashes them. The
calls are the generic ones each kind of status has (no key → 401, a burst over a limit of
one → 429, a body sent as text/plain → 415, an oversized or unreadable Content-Length →
413/400, the ETag sent back → 304) and, per operation, a valid call and the refusals its
handler makes (403, 404, 422…), the same the authorisation matrix and the schemathesis
run exercise. An operation or status added to the document without a call here fails
``test_every_declared_status_is_observed``: add the call that shows it.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from quyche_rules.delivery.feeds import create_token
from quyche_rules.engine.engine import Engine
from quyche_rules.service import Settings, create_app
from quyche_rules.service.auth import new_key

from ..tracker.events import REQUESTED, REQUESTER, request

OTHER = "ban_to_chuc_tinh_uy"
EVENT = request("ST-1/ĐUK", "2026-03-02")


@dataclass
class World:
    client: TestClient
    strict: TestClient  # the same database: a limit of 1 request, a disk never free enough
    admin: str
    requester: str  # Đảng ủy Khối's key
    requested: str  # Ban Nội chính's key (it owes the answer)
    case_id: str
    decision_id: str
    sub_id: str
    feed_token: str
    seen: dict[str, set[int]] = field(default_factory=dict)

    def h(self, key: str | None) -> dict[str, str]:
        return {} if key is None else {"Authorization": f"Bearer {key}"}


OPS: dict[tuple[str, str], str] = {}  # (METHOD, path template) → operationId


@pytest.fixture(scope="module")
def world(book: Any) -> Iterator[World]:
    tmp = Path(tempfile.mkdtemp(prefix="quyche-statuses-"))
    db = f"sqlite:///{tmp / 'st.db'}"
    engine = Engine(book, backend="python")
    app = create_app(Settings(db_url=db, rate_per_minute=0, backend="python"), engine=engine)
    strict = create_app(
        Settings(db_url=db, rate_per_minute=1, rate_burst=1, backend="python",
                 min_free_disk_mb=2**40),
        engine=engine,
    )  # fmt: skip
    for path, ops in app.openapi()["paths"].items():
        for method, op in ops.items():
            OPS[(method.upper(), path)] = op["operationId"]
    store = app.state.services.store
    admin = new_key(store, party=None, admin=True)[0]
    requester = new_key(store, party=REQUESTER, admin=False)[0]
    requested = new_key(store, party=REQUESTED, admin=False)[0]
    token, _ = create_token(store.engine, REQUESTED, "văn thư")
    with TestClient(app) as c, TestClient(strict) as s:
        r = c.post("/v1/track", json=EVENT, headers={"Authorization": f"Bearer {requester}"})
        assert r.status_code == 200, r.text
        hook = {"url": "http://127.0.0.1:9/hook", "kinds": ["obligation.new"]}
        sub = c.post(
            "/v1/subscriptions", json=hook, headers={"Authorization": f"Bearer {requested}"}
        )
        assert sub.status_code == 201, sub.text
        yield World(
            client=c,
            strict=s,
            admin=admin,
            requester=requester,
            requested=requested,
            case_id=r.json()["opened"][0]["id"],
            decision_id=r.json()["receipt"]["decision_id"],
            sub_id=sub.json()["id"],
            feed_token=token,
        )
    for a in (app, strict):
        a.state.services.store.engine.dispose()
    shutil.rmtree(tmp, ignore_errors=True)


def _op(method: str, url: str) -> str:
    """The operationId of a request: the spec's path template its path matches (literal
    paths first, so ``/v1/schemas/events`` is never a ``{param}``)."""
    path = httpx.URL(url).path
    ranked = sorted(OPS, key=lambda k: k[1].count("{"))
    for m, template in ranked:
        pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"
        if m == method and re.match(pattern, path):
            return OPS[(m, template)]
    raise AssertionError(f"{method} {path}: no operation in the spec")


def call(
    w: World,
    method: str,
    url: str,
    *,
    key: str | None = "admin",
    strict: bool = False,
    expect: int | None = None,
    **kw: Any,
) -> httpx.Response:
    """One request, its status noted under its operation."""
    client = w.strict if strict else w.client
    k = {"admin": w.admin, "requester": w.requester, "requested": w.requested}.get(key or "", key)
    headers = {**w.h(k), **kw.pop("headers", {})}
    r = client.request(method, url, headers=headers, **kw)
    op = _op(method, url)
    w.seen.setdefault(op, set()).add(r.status_code)
    if expect is not None:
        assert r.status_code == expect, (op, r.status_code, r.text[:300])
    return r


# --- per operation: a valid call and its handler's own refusals ---------------------------


def _calls(w: World) -> dict[str, list[tuple[int, Callable[[], httpx.Response]]]]:
    ev = EVENT
    bad_ev = {**EVENT, "date": "not a date"}
    feed = f"/v1/calendar/{REQUESTED}.ics"

    def c(method: str, url: str, expect: int, **kw: Any) -> tuple[int, Callable[[], Any]]:
        return expect, lambda: call(w, method, url, expect=expect, **kw)

    return {
        "notify": [c("POST", "/v1/notify", 200, json=ev),
                   c("POST", "/v1/notify", 422, json=bad_ev)],
        "notifyBatch": [c("POST", "/v1/notify/batch", 200, json={"events": [ev]}),
                        c("POST", "/v1/notify/batch", 422, json={"events": "x"})],
        "explain": [
            c("POST", "/v1/explain", 200, json={"event": ev, "rule_id": "art3.1.respond"}),
            c("POST", "/v1/explain", 404, json={"event": ev, "rule_id": "no.such.rule"}),
            c("POST", "/v1/explain", 422, json={"event": ev}),
        ],
        "getDuties": [c("GET", f"/v1/duties/{REQUESTED}", 200),
                      c("GET", "/v1/duties/nobody_at_all", 404),
],
        "getDeadline": [c("GET", "/v1/deadline?received=2026-03-02", 200),
                        c("GET", "/v1/deadline?received=x", 422)],
        "recordTrackEvent": [
            c("POST", "/v1/track", 200, json=ev, key="requester"),
            c("POST", "/v1/track", 403, json=ev, key="requested"),
            c("POST", "/v1/track", 422, json=bad_ev),
        ],
        "getTrackStatus": [c("GET", "/v1/track/status?as_of=2026-03-05", 200, key="requested"),
                           c("GET", f"/v1/track/status?party={OTHER}", 404, key="requested"),
                           c("GET", "/v1/track/status?limit=0", 422)],
        "getTrackCase": [c("GET", f"/v1/track/cases/{w.case_id}", 200, key="requested"),
                         c("GET", f"/v1/track/cases/{w.case_id}", 404, key=other_key(w)),
                         c("GET", f"/v1/track/cases/{w.case_id}?as_of=x", 422)],
        "getTrackCalendar": [c("GET", "/v1/track/ics", 200, key="requested"),
                             c("GET", f"/v1/track/ics?party={OTHER}", 404, key="requested"),
                             c("GET", "/v1/track/ics?as_of=x", 422, key="requested")],
        "getDecision": [c("GET", f"/v1/decisions/{w.decision_id}", 200),
                        c("GET", "/v1/decisions/00000000-0000-0000-0000-000000000000", 404),
],
        "listRules": [c("GET", "/v1/rules", 200), c("GET", "/v1/rules?limit=0", 422)],
        "getRule": [c("GET", "/v1/rules/art3.1.respond", 200), c("GET", "/v1/rules/nope", 404),
],
        "getClause": [c("GET", "/v1/clauses/3.1", 200), c("GET", "/v1/clauses/99.9", 404),
],
        "getCoverage": [c("GET", "/v1/coverage", 200)],
        "listParties": [c("GET", "/v1/parties", 200), c("GET", "/v1/parties?limit=0", 422)],
        "getEventSchemas": [c("GET", "/v1/schemas/events", 200)],
        "healthz": [c("GET", "/healthz", 200, key=None)],
        "readyz": [c("GET", "/readyz", 200, key=None),
                   (503, lambda: call(w, "GET", "/readyz", key=None, strict=True, expect=503))],
        "metrics": [c("GET", "/metrics", 200, key=None)],
        "getCalendarFeed": [c("GET", f"{feed}?token={w.feed_token}", 200, key=None),
                            c("GET", f"{feed}?token=qcf_nope", 404, key=None),
                            c("GET", feed, 422, key=None)],
        "listSubscriptions": [c("GET", "/v1/subscriptions", 200, key="requested")],
        "subscribe": [
            c("POST", "/v1/subscriptions", 201, key="requested",
              json={"url": "http://127.0.0.1:9/h2", "kinds": ["obligation.new"]}),
            c("POST", "/v1/subscriptions", 403, key="requested",
              json={"url": "http://127.0.0.1:9/h3", "party": OTHER}),
            c("POST", "/v1/subscriptions", 422, key="requested", json={"url": 5}),
        ],
        "unsubscribe": [c("DELETE", f"/v1/subscriptions/{w.sub_id}", 204, key="requested"),
                        c("DELETE", f"/v1/subscriptions/{w.sub_id}", 404, key="requested"),
],
        "listDeliveries": [c("GET", "/v1/deliveries", 200),
                           c("GET", "/v1/deliveries", 403, key="requested"),
                           c("GET", "/v1/deliveries?status=x", 422)],
        "listDecisions": [c("GET", "/v1/decisions", 200),
                          c("GET", "/v1/decisions?unmasked=true", 403, key="requested"),
                          c("GET", "/v1/decisions?limit=0", 422)],
    }  # fmt: skip


def other_key(w: World) -> str:
    """A key of a body that is no party to the recorded case."""
    return new_key(w.client.app.state.services.store, party=OTHER, admin=False)[0]  # type: ignore[attr-defined]


# --- generic: what every operation of a kind answers --------------------------------------


def _url(path: str, w: World) -> str:
    """A concrete URL for a path template (valid values, so only the probe can fail)."""
    return (
        path.replace("{party}", REQUESTED)
        .replace("{case_id}", w.case_id)
        .replace("{decision_id}", w.decision_id)
        .replace("{rule_id}", "art3.1.respond")
        .replace("{ref}", "3.1")
        .replace("{body}", REQUESTED)
        .replace("{sub_id}", "0" * 16)
    )


def _generic(w: World, spec: dict[str, Any]) -> None:
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            m, declared = method.upper(), op["responses"]
            url = _url(path, w)
            if path == "/v1/calendar/{body}.ics":
                url += f"?token={w.feed_token}"
            if "401" in declared:
                call(w, m, url, key=None, expect=401)
            if "429" in declared:  # a limit of one request a minute: the second is refused
                fresh = new_key(w.strict.app.state.services.store, party=None, admin=True)[0]  # type: ignore[attr-defined]
                call(w, m, url, key=fresh, strict=True)
                r = call(w, m, url, key=fresh, strict=True, expect=429)
                assert int(r.headers["Retry-After"]) >= 1
            if "415" in declared:
                call(w, m, url, content=b'{"a": 1}', headers={"Content-Type": "text/plain"},
                     expect=415)  # fmt: skip
            call(w, m, url, content=b"x", headers={"Content-Length": "2000000000"}, expect=413)
            call(w, m, url, headers={"Content-Length": "many"}, expect=400)
            if "304" in declared:
                tag = call(w, m, url, expect=200).headers["ETag"]
                call(w, m, url, headers={"If-None-Match": tag}, expect=304)


def test_every_declared_status_is_observed(world: World) -> None:
    spec = world.client.app.openapi()  # type: ignore[attr-defined]
    calls = _calls(world)
    for op_calls in calls.values():
        for _status, run in op_calls:
            run()
    _generic(world, spec)
    declared = {
        op["operationId"]: {int(s) for s in op["responses"]}
        for ops in spec["paths"].values()
        for op in ops.values()
    }
    never = {op: sorted(want - world.seen.get(op, set())) for op, want in declared.items()}
    assert not {op: s for op, s in never.items() if s}, "declared but never observed"
    undeclared = {op: sorted(got - declared[op]) for op, got in world.seen.items()}
    assert not {op: s for op, s in undeclared.items() if s}, "observed but not declared"
    assert set(calls) == set(declared), "an operation without its own calls here"
