"""Authorisation matrix: each kind of key × each endpoint, and own / foreign decisions.

Kinds: none, malformed, unknown (well formed, never issued), revoked, administrator, and
two bodies A and B. A foreign decision is answered exactly like a missing one (404, same
body), so a probe learns nothing."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from .conftest import A, B, Keys, without_request

D = "dang_uy_khoi"
EVENT = {"type": "coordination_requested", "date": "2025-01-23", "requester": D, "requested": A}

ENDPOINTS: list[tuple[str, str, Any]] = [
    ("POST", "/v1/notify", EVENT),
    ("POST", "/v1/notify/batch", {"events": [EVENT]}),
    ("POST", "/v1/explain", {"event": EVENT, "rule_id": "art3.1.respond"}),
    ("GET", f"/v1/duties/{A}", None),
    ("GET", "/v1/deadline?received=2025-01-24&days=7", None),
    ("GET", "/v1/rules", None),
    ("GET", "/v1/rules/art3.1.respond", None),
    ("GET", "/v1/clauses/3.1", None),
    ("GET", "/v1/coverage", None),
    ("GET", "/v1/parties", None),
    ("GET", "/v1/schemas/events", None),
    ("GET", f"/v1/decisions/{uuid.uuid4()}", None),  # 404 for all valid keys: none such
]
OPEN = ["/healthz", "/readyz", "/openapi.json", "/docs"]


def _call(client: TestClient, method: str, path: str, body: Any, key: str | None) -> Any:
    headers = {} if key is None else {"Authorization": f"Bearer {key}"}
    return client.request(method, path, json=body, headers=headers)


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS, ids=[e[1] for e in ENDPOINTS])
def test_endpoint_by_key_kind(
    client: TestClient, keys: Keys, method: str, path: str, body: Any
) -> None:
    bad = {
        "none": None,
        "malformed": "not-a-key",
        "unknown": keys.unknown,
        "revoked": keys.revoked,
        "admin-key-with-one-char-changed": keys.admin[:-1]
        + ("A" if keys.admin[-1] != "A" else "B"),
    }
    for kind, key in bad.items():
        r = _call(client, method, path, body, key)
        assert r.status_code == 401, (kind, r.text)
        assert r.headers["www-authenticate"] == "Bearer"
        assert "\n" not in r.json()["detail"] and r.json()["detail"].startswith("Authorization")
    expected = 404 if path.startswith("/v1/decisions/") else 200
    for kind, key in {"admin": keys.admin, "A": keys.a, "B": keys.b}.items():
        r = _call(client, method, path, body, key)
        assert r.status_code == expected, (kind, r.text)
    # the scheme word is case-insensitive (RFC 7235), the key is not
    r = client.request(method, path, json=body, headers={"Authorization": f"bearer {keys.a}"})
    assert r.status_code == expected


@pytest.mark.parametrize("path", OPEN)
def test_health_and_docs_need_no_key(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 200


def _decide(client: TestClient, key: str, event: dict[str, Any]) -> str:
    r = client.post("/v1/notify", json=event, headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 200, r.text
    rid: str = r.json()["receipt"]["decision_id"]
    return rid


def test_decisions_own_and_foreign(client: TestClient, keys: Keys) -> None:
    between_d_and_a = {**EVENT}  # names A
    between_d_and_b = {**EVENT, "requested": B}  # names B, not A
    # a decision naming neither A nor B nor their classes
    neither = {
        "type": "coordination_requested",
        "date": "2025-01-23",
        "requester": D,
        "requested": "ban_dan_van_tinh_uy",
    }
    made = {
        "A asks about A": (keys.a, between_d_and_a),
        "B asks about B": (keys.b, between_d_and_b),
        "admin asks about A": (keys.admin, between_d_and_a),
        "admin asks about neither": (keys.admin, neither),
        "B asks about neither": (keys.b, neither),
    }
    ids = {name: _decide(client, key, ev) for name, (key, ev) in made.items()}
    # the duties of the class cac_co_quan, of which A and B are members, name the class
    for name, party in (("admin asks about the class", "cac_co_quan"), ("duties of A", A)):
        r = client.get(f"/v1/duties/{party}", headers=keys.h(keys.admin))
        assert r.status_code == 200
        ids[name] = r.json()["receipt"]["decision_id"]
    expected = {
        # decision:                  (admin, A,   B)
        "A asks about A": (200, 200, 404),
        "B asks about B": (200, 404, 200),
        "admin asks about A": (200, 200, 404),
        "admin asks about neither": (200, 404, 404),
        "B asks about neither": (200, 404, 200),  # the key that asked may read its answer
        "admin asks about the class": (200, 200, 200),
        "duties of A": (200, 200, 404),
    }
    missing = client.get(f"/v1/decisions/{uuid.uuid4()}", headers=keys.h(keys.a))
    assert missing.status_code == 404
    for name, codes in expected.items():
        for key, code in zip((keys.admin, keys.a, keys.b), codes, strict=True):
            r = client.get(f"/v1/decisions/{ids[name]}", headers=keys.h(key))
            assert r.status_code == code, (name, key[:11], r.text)
            if code == 404:
                assert without_request(r.json()) == without_request(missing.json()), (
                    "foreign looks exactly like missing"
                )
    for key in (keys.revoked, keys.unknown):
        r = client.get(f"/v1/decisions/{ids['A asks about A']}", headers=keys.h(key))
        assert r.status_code == 401
    assert client.get("/v1/decisions/not-a-uuid", headers=keys.h(keys.admin)).status_code == 404


def test_who_may_act_as_a_body(keys: Keys, client: TestClient) -> None:
    """The rule the tracker's POST /v1/track will apply: admin, or the key's own body."""
    from quyche_rules.service.auth import authenticate, may_act_as

    store = client.app.state.services.store  # type: ignore[attr-defined]
    admin, a = authenticate(store, keys.admin), authenticate(store, keys.a)
    assert admin is not None and a is not None
    assert may_act_as(admin, A) and may_act_as(admin, B)
    assert may_act_as(a, A) and not may_act_as(a, B)
