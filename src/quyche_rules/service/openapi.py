"""The OpenAPI document, shaped for client generators.

FastAPI's defaults name operations after the Python function and the path
(``notify_v1_notify_post``) and declare the same app-wide error list on every operation.
A generator turns that into one ``DefaultApi`` with unreadable method names and error
branches that can never run. Here:

* ``OPERATIONS`` gives each operation a stable ``operationId`` (``notify``,
  ``getDecision``, ``recordTrackEvent``…): a public name, only added, never renamed;
* each operation declares exactly the statuses it can return: 200; 400 and 413 (the
  body-size guard answers them before routing, for any request); 401 and 429 when a key
  is needed; 415 and 422 with a request body; 422 with a parameter whose value can be
  invalid (not a plain string in the path); 304 where the answer
  carries an ETag; and the ones its handler raises (``OPERATIONS``);
* every error response is ``application/problem+json`` (``problems.Problem``);
* ``servers`` is the relative ``/``: the document is right wherever it is served;
* ``tags`` carry a description per area, so generators make one API class per area;
* every request body has an example (``EXAMPLES``).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from quyche_rules.service.problems import MEDIA_TYPE

#: route (function) name → (operationId, statuses its handler itself may answer)
OPERATIONS: dict[str, tuple[str, tuple[int, ...]]] = {
    "notify": ("notify", ()),
    "notify_batch": ("notifyBatch", ()),
    "explain": ("explain", (404,)),
    "duties": ("getDuties", (404,)),
    "deadline": ("getDeadline", ()),
    "record": ("recordTrackEvent", (403,)),
    "status": ("getTrackStatus", (404,)),
    "case": ("getTrackCase", (404,)),
    "ics": ("getTrackCalendar", (404,)),
    "get_decision": ("getDecision", (404,)),
    "list_rules": ("listRules", ()),
    "get_rule": ("getRule", (404,)),
    "get_clause": ("getClause", (404,)),
    "coverage": ("getCoverage", ()),
    "list_parties": ("listParties", ()),
    "schema_events": ("getEventSchemas", ()),
    "schema_problem": ("getProblemSchema", ()),
    "healthz": ("healthz", ()),
    "readyz": ("readyz", (503,)),
    "metrics": ("metrics", ()),
    "calendar_feed": ("getCalendarFeed", (404, 422)),
    "subscribe": ("subscribe", (403,)),
    "list_subscriptions": ("listSubscriptions", ()),
    "unsubscribe": ("unsubscribe", (404,)),
    "deliveries": ("listDeliveries", (403,)),
    "decisions": ("listDecisions", (403,)),
}

#: operations whose answer carries an ETag, so If-None-Match may give 304
CACHEABLE = {
    "list_rules",
    "get_rule",
    "get_clause",
    "coverage",
    "list_parties",
    "schema_events",
}

TAGS = [
    {"name": "decisions", "description": "Nghĩa vụ phát sinh từ một sự kiện · duties arising"},
    {"name": "tracker", "description": "Theo dõi thời hạn trả lời · the coordination tracker"},
    {"name": "audit", "description": "Nhật ký quyết định · the decision log"},
    {"name": "rulebook", "description": "Quy tắc, điều khoản, cơ quan · rules, clauses, bodies"},
    {"name": "health", "description": "Tình trạng dịch vụ · liveness, readiness, metrics"},
    {"name": "delivery", "description": "Webhook, lịch theo dõi · webhooks and calendar feeds"},
]

#: one event every generator can show: Đảng ủy Khối asks Ban Tổ chức for its opinion
_EVENT = {
    "type": "coordination_requested",
    "date": "2025-01-23",
    "requester": "dang_uy_khoi",
    "requested": "ban_to_chuc_tinh_uy",
    "reference": "123-CV/ĐUK",
}
#: operationId → example request body
EXAMPLES: dict[str, Any] = {
    "notify": _EVENT,
    "notifyBatch": {"events": [_EVENT]},
    "explain": {"event": _EVENT, "rule_id": "art3.1.respond"},
    "recordTrackEvent": _EVENT,
    "subscribe": {"url": "https://vanthu.example/hook", "kinds": None, "remind_days": 2},
}

SERVERS = [{"url": "/", "description": "this service (relative to the document's address)"}]


def operation_id(route: APIRoute) -> str:
    """``generate_unique_id_function`` of the app: the table's id, else the route's name."""
    known = OPERATIONS.get(route.name)
    if known is not None:
        return known[0]
    head, *rest = route.name.split("_")
    return head + "".join(w.capitalize() for w in rest)


_BY_ID = {op_id: (name, extra) for name, (op_id, extra) in OPERATIONS.items()}


def _may_be_invalid(param: dict[str, Any]) -> bool:
    """Whether a value of the parameter can fail validation (422): a required query
    parameter can be missing; a number, a boolean, a date, a bounded or enumerated string
    can be malformed. A plain string in the path cannot: any value reaches the handler,
    which answers 404 for one it does not know (declaring 422 there would give every
    generated client a branch that never runs)."""
    if param.get("required") and param.get("in") != "path":
        return True
    schema = param.get("schema", {})
    limits = {"format", "maxLength", "minLength", "pattern", "enum", "const"}
    return any(
        alt.get("type") not in (None, "string", "null") or bool(limits & alt.keys())
        for alt in schema.get("anyOf", [schema])
    )


def statuses(op: dict[str, Any]) -> set[int]:
    """Every status the operation (an OpenAPI operation object) can answer."""
    out = {200, 400, 413}
    # a handler's own success status (201 created, 204 no content) as its route declares it
    out |= {int(c) for c in op.get("responses", {}) if c.isdigit() and 200 < int(c) < 300}
    if op.get("security"):
        out |= {401, 429}
    if "requestBody" in op:
        out |= {415, 422}
    if any(_may_be_invalid(p) for p in op.get("parameters", ())):
        out.add(422)
    name, extra = _BY_ID.get(op.get("operationId", ""), ("", ()))
    if name in CACHEABLE:
        out.add(304)
    out.update(extra)
    return out


def _shape(op: dict[str, Any], problem: dict[str, Any]) -> None:
    example = EXAMPLES.get(op.get("operationId", ""))
    body = op.get("requestBody", {}).get("content", {}).get("application/json")
    if example is not None and body is not None:
        body["example"] = example
    wanted = statuses(op)
    responses: dict[str, Any] = op["responses"]
    for declared in list(responses):
        if declared.isdigit() and int(declared) not in wanted:
            del responses[declared]
    for code in sorted(wanted):
        key = str(code)
        if code == 304:
            responses[key] = {"description": "not modified: the ETag given in If-None-Match"}
        elif code >= 400:
            own = responses.get(key, {}).get("content", {}).get("application/json")
            if own is not None and own.get("schema") != problem:
                continue  # an answer of its own (readyz's 503 is a ReadyOut)
            described = responses.get(key, {}).get("description")
            responses[key] = {
                "description": described or f"problem details ({code})",
                "content": {MEDIA_TYPE: {"schema": problem}},
            }
            if code == 429:
                responses[key]["headers"] = {
                    "Retry-After": {"schema": {"type": "integer"}, "description": "seconds"}
                }


def install(app: FastAPI) -> None:
    """Replace ``app.openapi`` with the shaped document (built once, then cached)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        doc = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
            tags=TAGS,
            servers=SERVERS,
        )
        doc.setdefault("components", {}).setdefault("schemas", {})
        problem = {"$ref": "#/components/schemas/Problem"}
        for item in doc["paths"].values():
            for op in item.values():
                _shape(op, problem)
        app.openapi_schema = doc
        return doc

    app.openapi = openapi  # type: ignore[method-assign]
