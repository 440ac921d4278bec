"""The HTTP answers are the library's answers: every example event, every scenario of the
scenario table, duties, deadlines, explanations, look-ups; receipts that can be checked."""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from quyche_rules.calendar.working_days import WorkingCalendar
from quyche_rules.engine.engine import Engine
from quyche_rules.io.yamlio import parse_yaml
from quyche_rules.model.event_checks import events_json_schema
from quyche_rules.model.events import EVENT_TYPES
from quyche_rules.scenarios.scenario import load_scenario_files
from quyche_rules.service.receipts import canonical_json, package_version

from .conftest import ROOT, Keys

EXAMPLES = sorted((ROOT / "examples" / "events").glob("*.yaml"))


def _event(path: Path) -> dict[str, Any]:
    """An example file as a client would send it: JSON (YAML dates become strings)."""
    data = parse_yaml(path.read_text(encoding="utf-8"), file=path.name)
    out: dict[str, Any] = json.loads(json.dumps(data, default=str))
    return out


def _library(engine: Engine, event: Any) -> list[dict[str, Any]]:
    return [o.model_dump(mode="json") for o in engine.who_must_be_notified(event)]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_same_over_http(
    path: Path, client: TestClient, keys: Keys, engine: Engine
) -> None:
    event = _event(path)
    r = client.post("/v1/notify", json=event, headers=keys.h(keys.admin))
    assert r.status_code == 200, r.text
    assert r.json()["obligations"] == _library(engine, event)
    assert r.json()["obligations"], "every example gives at least one obligation"


def test_every_scenario_same_over_http(client: TestClient, keys: Keys, engine: Engine) -> None:
    """Every event of the jurists' scenario files (tests/scenarios), in batches of at most
    100 (the batch limit), answers over HTTP exactly as the library does."""
    events = [
        json.loads(json.dumps(ev, default=str))  # YAML dates → ISO strings, as JSON sends them
        for sc in load_scenario_files([ROOT / "tests" / "scenarios"])
        for ev in sc.events
    ]
    assert len(events) > 50
    ids: list[str] = []
    for start in range(0, len(events), 100):
        chunk = events[start : start + 100]
        r = client.post("/v1/notify/batch", json={"events": chunk}, headers=keys.h(keys.a))
        assert r.status_code == 200, r.text
        results = r.json()["results"]
        assert [x["obligations"] for x in results] == [_library(engine, ev) for ev in chunk]
        ids += [x["receipt"]["decision_id"] for x in results]
    assert len(set(ids)) == len(events), "each event of a batch is its own decision"


def test_receipt_names_rulebook_versions_and_input(
    client: TestClient, keys: Keys, engine: Engine
) -> None:
    by_name = {
        "type": "coordination_requested",
        "date": "2025-01-23",
        "requester": "Đảng ủy Khối",
        "requested": "Ban Nội chính Tỉnh ủy",
        "received_on": "2025-01-24",
    }
    by_id = {**by_name, "requester": "dang_uy_khoi", "requested": "ban_noi_chinh_tinh_uy"}
    r1 = client.post("/v1/notify", json=by_name, headers=keys.h(keys.admin)).json()
    r2 = client.post("/v1/notify", json=by_id, headers=keys.h(keys.admin)).json()
    rc = r1["receipt"]
    assert rc["decision_id"] != r2["receipt"]["decision_id"]
    # the canonical input: the validated event, so names and ids hash alike
    assert rc["input_sha256"] == r2["receipt"]["input_sha256"]
    canonical = engine.who_must_be_notified(by_id)  # validates; now hash the model's dump
    from quyche_rules.model.event_checks import parse_event

    ev = parse_event(by_id).model_dump(mode="json")
    assert rc["input_sha256"] == hashlib.sha256(canonical_json(ev).encode()).hexdigest()
    assert rc["rulebook_hash"] == engine.rulebook.content_hash
    assert rc["package_version"] == package_version()
    assert rc["backend"] == engine.backend.name
    assert rc["backend_reason"] == engine.backend_choice.reason
    assert "pydantic" in rc["backend_versions"]
    assert rc["profile"] is None
    assert r1["obligations"][0]["due"] == canonical[0].due.isoformat() == "2025-02-11"


def test_decision_read_back_as_given(client: TestClient, keys: Keys) -> None:
    event = _event(EXAMPLES[0])
    given = client.post("/v1/notify", json=event, headers=keys.h(keys.admin)).json()
    rid = given["receipt"]["decision_id"]
    r = client.get(f"/v1/decisions/{rid}", headers=keys.h(keys.admin))
    assert r.status_code == 200
    logged = r.json()
    assert logged["receipt"] == given["receipt"]
    assert logged["result"] == given["obligations"]
    assert logged["kind"] == "notify"
    assert logged["input"]["type"] == event["type"]


def test_duties_same_as_library(client: TestClient, keys: Keys, engine: Engine) -> None:
    r = client.get("/v1/duties/ban to chuc tinh uy", headers=keys.h(keys.b))
    assert r.status_code == 200
    body = r.json()
    assert body["party"]["id"] == "ban_to_chuc_tinh_uy"
    lib = engine.duties_of("ban_to_chuc_tinh_uy")
    assert [(d["rule_id"], d["binds_as"]) for d in body["duties"]] == [
        (e.rule.id, e.binds_as) for e in lib
    ]
    r = client.get("/v1/duties/nobody", headers=keys.h(keys.b))
    assert r.status_code == 404 and r.json()["detail"] == "party: không có cơ quan 'nobody'"


@pytest.mark.parametrize(
    ("received", "days"),
    [("2025-01-24", 7), ("2026-02-13", 7), ("2025-08-29", 3), ("2027-01-04", 1)],
)
def test_deadline_same_as_library(client: TestClient, keys: Keys, received: str, days: int) -> None:
    import datetime as dt

    r = client.get(f"/v1/deadline?received={received}&days={days}", headers=keys.h(keys.a))
    assert r.status_code == 200, r.text
    d = WorkingCalendar().deadline(dt.date.fromisoformat(received), days)
    body = r.json()
    assert (body["due"], body["provisional"]) == (d.due.isoformat(), d.provisional)
    assert body["provisional_years"] == list(d.provisional_years)


def test_deadline_defaults_to_art_3_1(client: TestClient, keys: Keys) -> None:
    r = client.get("/v1/deadline?received=2025-01-24", headers=keys.h(keys.a))
    assert r.json()["working_days"] == 7 and r.json()["due"] == "2025-02-11"


def test_explain_fired_and_not_fired(client: TestClient, keys: Keys, engine: Engine) -> None:
    event = _event(ROOT / "examples/events/03-1-de-nghi-phoi-hop-truoc-tet.yaml")
    ob = engine.who_must_be_notified(event)[0]
    r = client.post(
        "/v1/explain", json={"event": event, "rule_id": ob.rule_id}, headers=keys.h(keys.a)
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["fired"] is True
    assert body["explanations"][0] == engine.explain(ob).model_dump(mode="json")
    other = "art5.2.a.notify-standing-office"
    r = client.post("/v1/explain", json={"event": event, "rule_id": other}, headers=keys.h(keys.a))
    assert r.json()["fired"] is False and r.json()["explanations"] == []
    assert r.json()["required"] == [
        t for t in client.get(f"/v1/rules/{other}", headers=keys.h(keys.a)).json()["triggers"]
    ]
    r = client.post("/v1/explain", json={"event": event, "rule_id": "nope"}, headers=keys.h(keys.a))
    assert r.status_code == 404 and r.json()["detail"] == "rule_id: không có quy tắc mã 'nope'"


def test_rule_clause_coverage_schema_lookups(
    client: TestClient, keys: Keys, engine: Engine
) -> None:
    h = keys.h(keys.b)
    rules = client.get("/v1/rules", headers=h).json()
    assert {r["id"] for r in rules} == set(engine.rulebook.rules)
    rule = client.get("/v1/rules/art3.1.respond", headers=h).json()
    assert rule["quote"] == engine.rulebook.rules["art3.1.respond"].quote
    assert rule["deadline_working_days"] == 7
    for ref in ("5.2.a", "dieu-5-2-a"):
        clause = client.get(f"/v1/clauses/{ref}", headers=h).json()
        assert clause["basis"]["label"] == "Điều 5.2.a"
        assert set(clause["rules"]) == {
            r.id for r in engine.rulebook.rules.values() if str(r.basis) == "Điều 5.2.a"
        }
    assert client.get("/v1/clauses/99.9", headers=h).status_code == 404
    assert client.get("/v1/clauses/bogus", headers=h).status_code == 404
    parties = client.get("/v1/parties", headers=h).json()
    assert [p["id"] for p in parties] == [p.id for p in engine.rulebook.parties]
    by_id = {p["id"]: p for p in parties}
    assert "ban_to_chuc_tinh_uy" in by_id["cac_co_quan"]["members"]
    assert by_id["dang_uy_khoi"]["name_vi"] == "Đảng ủy Khối các cơ quan tỉnh"
    cov = client.get("/v1/coverage", headers=h).json()
    assert cov["units"] == len(engine.rulebook.regulation.units)
    assert cov["not_accounted_for"] == 0
    assert client.get("/v1/schemas/events", headers=h).json() == json.loads(
        json.dumps(events_json_schema())
    )


def test_openapi_is_3_1_from_library_models(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    assert doc["openapi"].startswith("3.1")
    for path in (
        "/v1/notify",
        "/v1/notify/batch",
        "/v1/duties/{party}",
        "/v1/deadline",
        "/v1/decisions/{decision_id}",
        "/v1/explain",
        "/healthz",
        "/readyz",
    ):
        assert path in doc["paths"], path
    components = doc["components"]["schemas"]
    assert "Obligation" in components and "Receipt" in components
    assert doc["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    tags = {
        m["properties"]["type"]["const"]
        for m in components.values()
        if "type" in m.get("properties", {}) and "const" in m["properties"]["type"]
    }
    assert tags == set(EVENT_TYPES)
    assert "/" not in doc["paths"], "/ is left to the pages (issue 12)"
    assert client.get("/docs").status_code == 200


def test_health_and_readiness(client: TestClient) -> None:
    health = client.get("/healthz").json()
    assert health["status"] == "ok"
    # which engine answers, and why: never a silent fallback
    assert health["backend"] in ("durable", "python") and health["backend_reason"]
    r = client.get("/readyz")
    assert r.status_code == 200 and r.json()["database"] is True


def test_access_log_has_no_body_and_no_key(
    client: TestClient, keys: Keys, caplog: pytest.LogCaptureFixture
) -> None:
    event = {
        "type": "personnel_action",
        "date": "2025-03-04",
        "person_in_bloc": True,
        "action": "appointment",
        "stage": "decision_planned",
        "decided_by": "Ủy ban nhân dân tỉnh",
        "summary": "Bổ nhiệm ông Nguyễn Văn Secretname",
    }
    with caplog.at_level(logging.INFO, logger="quyche.access"):
        assert client.post("/v1/notify", json=event, headers=keys.h(keys.a)).status_code == 200
        client.get("/v1/duties/ban_noi_chinh_tinh_uy", headers=keys.h(keys.a))
    lines = [r.getMessage() for r in caplog.records if r.name == "quyche.access"]
    assert len(lines) == 2
    records = [json.loads(line) for line in lines]
    assert records[1]["path"] == "/v1/duties/{party}"
    assert {r["key_id"] for r in records} == {keys.a.split("_")[1]}
    text = "\n".join(lines)
    for secret in ("Secretname", keys.a, keys.a.split("_", 2)[2], "ban_noi_chinh"):
        assert secret not in text


@pytest.mark.parametrize("path", ["/v1/notify", "/v1/track"])
def test_a_receipt_before_the_document_is_refused_over_http(
    path: str, client: TestClient, keys: Keys
) -> None:
    """The cross-field checks of ``parse_event`` run on the service's pydantic-validated
    events too: a request received before it was sent once opened a case with a wrong
    deadline through ``POST /v1/track``."""
    event = {
        "type": "coordination_requested",
        "date": "2025-03-10",
        "reference": "77-CV/ĐUK",
        "requester": "dang_uy_khoi",
        "requested": "ban_noi_chinh_tinh_uy",
        "received_on": "2025-03-01",
    }
    r = client.post(path, json=event, headers=keys.h(keys.admin))
    assert r.status_code == 422, r.text
    assert "received_on" in r.json()["detail"] and "\n" not in r.json()["detail"]
