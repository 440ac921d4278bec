"""Every error is RFC 9457 problem details, the library's errors carry the same place and
code, every response carries X-Request-ID, and the OpenAPI document names operations,
areas and statuses the way client generators need."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from quyche_rules.errors import EventError
from quyche_rules.model.event_checks import parse_event
from quyche_rules.service.problems import KINDS, MEDIA_TYPE, Problem

from .conftest import Keys

EVENT = {
    "type": "coordination_requested",
    "date": "2025-01-23",
    "requester": "dang_uy_khoi",
    "requested": "ban_to_chuc_tinh_uy",
}


def _problem(r: Any, status: int, slug: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(MEDIA_TYPE)
    body: dict[str, Any] = r.json()
    Problem.model_validate(body)
    assert body["type"] == KINDS[slug].type and body["status"] == status
    assert body["title"] == KINDS[slug].title_vi
    assert body["instance"] == f"urn:quyche-rules:request:{r.headers['x-request-id']}"
    return body


def test_invalid_field_names_pointer_and_code(client: TestClient, keys: Keys) -> None:
    r = client.post("/v1/notify", json={**EVENT, "requester": "nobody"}, headers=keys.h(keys.a))
    body = _problem(r, 422, "invalid-input")
    assert body["detail"] == "body.requester: không có cơ quan 'nobody'"
    assert body["errors"] == [
        {"pointer": "/requester", "code": "unknown_party", "detail": "không có cơ quan 'nobody'"}
    ]


def test_every_invalid_field_is_listed(client: TestClient, keys: Keys) -> None:
    bad = {"type": "coordination_requested", "date": "23/01/2025"}
    r = client.post("/v1/notify", json=bad, headers=keys.h(keys.a))
    body = _problem(r, 422, "invalid-input")
    pointers = {e["pointer"]: e["code"] for e in body["errors"]}
    assert pointers == {"/date": "invalid", "/requester": "missing", "/requested": "missing"}


def test_malformed_json_points_at_the_document(client: TestClient, keys: Keys) -> None:
    headers = {**keys.h(keys.a), "content-type": "application/json"}
    r = client.post("/v1/notify", content=b'{"type": ', headers=headers)
    body = _problem(r, 422, "invalid-input")
    assert body["detail"] == "body: JSON sai cú pháp"
    assert body["errors"][0]["pointer"] == "" and body["errors"][0]["code"] == "json_invalid"


def test_query_parameter_is_named(client: TestClient, keys: Keys) -> None:
    r = client.get("/v1/deadline?received=tomorrow", headers=keys.h(keys.a))
    body = _problem(r, 422, "invalid-input")
    assert body["errors"][0]["parameter"] == "received"


@pytest.mark.parametrize("ctype", ["text/plain", "application/x-www-form-urlencoded", None])
def test_wrong_content_type_is_415(client: TestClient, keys: Keys, ctype: str | None) -> None:
    import json

    headers = keys.h(keys.a)
    if ctype is not None:
        headers["content-type"] = ctype
    r = client.post("/v1/notify", content=json.dumps(EVENT).encode(), headers=headers)
    body = _problem(r, 415, "unsupported-media-type")
    assert body["detail"].startswith("Content-Type: phải là application/json")


def test_json_with_charset_is_accepted(client: TestClient, keys: Keys) -> None:
    import json

    headers = {**keys.h(keys.a), "content-type": "application/json; charset=utf-8"}
    r = client.post("/v1/notify", content=json.dumps(EVENT).encode(), headers=headers)
    assert r.status_code == 200, r.text


def test_auth_errors_are_problems(client: TestClient, keys: Keys) -> None:
    _problem(client.get("/v1/rules"), 401, "unauthorized")
    r = client.get("/v1/rules/nope", headers=keys.h(keys.a))
    assert _problem(r, 404, "not-found")["detail"] == "rule_id: không có quy tắc mã 'nope'"
    foreign = {**EVENT, "requester": "ban_noi_chinh_tinh_uy"}
    _problem(client.post("/v1/track", json=foreign, headers=keys.h(keys.a)), 403, "forbidden")


def test_oversized_body_is_a_problem(client: TestClient, keys: Keys) -> None:
    big = {**EVENT, "summary": "x" * (300 * 1024)}
    _problem(client.post("/v1/notify", json=big, headers=keys.h(keys.a)), 413, "payload-too-large")


def test_request_id_is_echoed_or_made(client: TestClient, keys: Keys) -> None:
    r = client.post("/v1/notify", json=EVENT, headers={**keys.h(keys.a), "X-Request-ID": "gw-42"})
    assert r.headers["x-request-id"] == "gw-42"
    assert r.json()["receipt"]["request_id"] == "gw-42"
    # an unsafe id (it would be echoed and logged) is replaced by a fresh one
    r = client.get("/healthz", headers={"X-Request-ID": "a b\tc"})
    assert r.headers["x-request-id"] != "a b\tc" and len(r.headers["x-request-id"]) == 32
    assert client.get("/healthz").headers["x-request-id"]


def test_library_errors_carry_place_and_code() -> None:
    with pytest.raises(EventError) as info:
        parse_event({**EVENT, "requested": "nobody"})
    err = info.value
    assert str(err) == "requested: unknown party 'nobody'"  # the message is unchanged
    assert (err.field, err.pointer, err.code) == ("requested", "/requested", "unknown_party")
    with pytest.raises(EventError) as info:
        parse_event({**EVENT, "date": "2025-01-23", "received_on": "2025-01-01"})
    assert (info.value.field, info.value.code) == ("received_on", "invalid_event")


# --- the OpenAPI document -------------------------------------------------------------------

OPERATION_IDS = {
    ("post", "/v1/notify"): "notify",
    ("post", "/v1/notify/batch"): "notifyBatch",
    ("post", "/v1/explain"): "explain",
    ("get", "/v1/duties/{party}"): "getDuties",
    ("get", "/v1/deadline"): "getDeadline",
    ("post", "/v1/track"): "recordTrackEvent",
    ("get", "/v1/track/status"): "getTrackStatus",
    ("get", "/v1/track/cases/{case_id}"): "getTrackCase",
    ("get", "/v1/track/ics"): "getTrackCalendar",
    ("get", "/v1/decisions/{decision_id}"): "getDecision",
    ("get", "/v1/rules"): "listRules",
    ("get", "/v1/rules/{rule_id}"): "getRule",
    ("get", "/v1/clauses/{ref}"): "getClause",
    ("get", "/v1/coverage"): "getCoverage",
    ("get", "/v1/parties"): "listParties",
    ("get", "/v1/schemas/events"): "getEventSchemas",
    ("get", "/healthz"): "healthz",
    ("get", "/readyz"): "readyz",
}


def test_operation_ids_are_the_published_ones(app: FastAPI) -> None:
    doc = app.openapi()
    found = {(m, p): op["operationId"] for p, ops in doc["paths"].items() for m, op in ops.items()}
    for where, op_id in OPERATION_IDS.items():
        assert found.get(where) == op_id, where  # published: never renamed
    assert len(set(found.values())) == len(found)


def test_document_has_servers_tags_and_problem_errors(app: FastAPI) -> None:
    doc = app.openapi()
    assert doc["servers"] and {t["name"] for t in doc["tags"]} >= {"decisions", "tracker"}
    for ops in doc["paths"].values():
        for op in ops.values():
            assert op.get("tags"), op["operationId"]
            for code, resp in op["responses"].items():
                if code.isdigit() and int(code) >= 400 and op["operationId"] != "readyz":
                    assert list(resp["content"]) == [MEDIA_TYPE], (op["operationId"], code)
    for ops in doc["paths"].values():
        for op in ops.values():
            if "requestBody" in op:
                assert op["requestBody"]["content"]["application/json"]["example"]
    record = doc["paths"]["/v1/track"]["post"]["responses"]
    assert {"403", "415", "422", "429"} <= set(record)
    assert "401" not in doc["paths"]["/healthz"]["get"]["responses"]
    assert "404" not in doc["paths"]["/v1/notify"]["post"]["responses"]


# --- caching ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/v1/rules",
        "/v1/rules/art10.2.notify-dang-doan-hdnd",
        "/v1/clauses/3.1",
        "/v1/coverage",
        "/v1/parties",
        "/v1/schemas/events",
    ],
)
def test_if_none_match_gives_304(client: TestClient, keys: Keys, path: str) -> None:
    first = client.get(path, headers=keys.h(keys.a))
    assert first.status_code == 200, first.text
    etag = first.headers["etag"]
    assert etag.startswith('W/"') and "private" in first.headers["cache-control"]
    again = client.get(path, headers={**keys.h(keys.a), "If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    other = client.get(path, headers={**keys.h(keys.a), "If-None-Match": 'W/"other"'})
    assert other.status_code == 200
    # the key is checked before the cache: no 304 for a caller without one
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 401


def test_explain_gives_structured_checks(client: TestClient, keys: Keys) -> None:
    body = {"event": EVENT, "rule_id": "art10.2.notify-dang-doan-hdnd"}
    r = client.post("/v1/explain", json=body, headers=keys.h(keys.a))
    assert r.status_code == 200, r.text
    (check,) = r.json()["checks"]
    assert check["reason"] == "other_event_type"
    assert check["failed"][0]["field"] == "type"
    assert check["failed"][0]["needed"] == ["task_deployed"]


# --- pagination ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/v1/rules", "/v1/parties"])
def test_pages_follow_link_headers_to_the_whole_list(
    client: TestClient, keys: Keys, path: str
) -> None:
    whole = client.get(path, headers=keys.h(keys.a))
    assert whole.status_code == 200 and "link" not in whole.headers  # no limit: as before
    seen: list[str] = []
    url: str | None = f"{path}?limit=25"
    while url is not None:
        r = client.get(url, headers=keys.h(keys.a))
        assert r.status_code == 200, r.text
        assert len(r.json()) <= 25
        seen.extend(item["id"] for item in r.json())
        link = r.headers.get("link")
        url = link.split(">")[0].lstrip("<") if link else None
        if url is not None:
            assert r.headers["x-next-cursor"] in url
    assert seen == [item["id"] for item in whole.json()]


def test_a_bad_cursor_is_a_problem(client: TestClient, keys: Keys) -> None:
    r = client.get("/v1/rules?limit=5&cursor=%25%25", headers=keys.h(keys.a))
    assert _problem(r, 422, "invalid-input")["errors"][0]["parameter"] == "cursor"


# --- metrics ---------------------------------------------------------------------------------


def test_metrics_parse_and_count(client: TestClient, keys: Keys) -> None:
    from prometheus_client.parser import text_string_to_metric_families

    assert client.post("/v1/notify", json=EVENT, headers=keys.h(keys.a)).status_code == 200
    client.get("/v1/rules/nope", headers=keys.h(keys.a))
    r = client.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for fam in text_string_to_metric_families(r.text)
        for s in fam.samples
    }
    notify = ("method", "POST"), ("route", "/v1/notify"), ("status", "200")
    assert samples[("quyche_http_requests_total", notify)] >= 1
    missing = ("method", "GET"), ("route", "/v1/rules/{rule_id}"), ("status", "404")
    assert samples[("quyche_http_requests_total", missing)] >= 1
    assert samples[("quyche_decisions_total", (("kind", "notify"),))] >= 1
    buckets = [k for k in samples if k[0] == "quyche_http_request_duration_seconds_bucket"]
    assert buckets
    assert "nope" not in r.text  # route templates, never values


def test_track_status_counts_and_pages(client: TestClient, keys: Keys) -> None:
    for n in range(3):
        day = f"2025-03-0{n + 3}"
        ev = {**EVENT, "reference": f"PAGE-{n}/ĐUK", "date": day, "received_on": day}
        r = client.post("/v1/track", json=ev, headers=keys.h(keys.admin))
        assert r.status_code == 200, r.text
    whole = client.get("/v1/track/status?as_of=2025-03-05", headers=keys.h(keys.a)).json()
    assert whole["counts"] == {g: len(whole[g]) for g in whole["counts"]}
    owes = [c["id"] for c in sorted(whole["owes"], key=lambda c: (c["due"], c["id"]))]
    assert len(owes) >= 3
    seen: list[str] = []
    url: str | None = "/v1/track/status?as_of=2025-03-05&group=owes&limit=2"
    while url is not None:
        r = client.get(url, headers=keys.h(keys.a))
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["counts"] == whole["counts"] and body["owed_to"] == []
        assert len(body["owes"]) <= 2
        seen.extend(c["id"] for c in body["owes"])
        link = r.headers.get("link")
        url = link.split(">")[0].lstrip("<").removeprefix("http://testserver") if link else None
    assert seen == owes
