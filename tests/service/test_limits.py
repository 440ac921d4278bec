"""Bad requests get a 4xx with one line that names the place: oversized, chunked past the
limit, malformed JSON, wrong types, too large a batch; and the per-key rate limit."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from quyche_rules.engine.engine import Engine
from quyche_rules.service import Settings, create_app
from quyche_rules.service.models import BATCH_MAX

from .conftest import Keys, make_keys


@pytest.fixture(autouse=True)
def english(client: TestClient) -> Iterator[None]:
    """These lines are checked in English (``Accept-Language: en``); the Vietnamese
    default is checked by ``test_problem_language``."""
    client.headers["Accept-Language"] = "en"
    yield
    del client.headers["Accept-Language"]


EVENT = {
    "type": "coordination_requested",
    "date": "2025-01-23",
    "requester": "dang_uy_khoi",
    "requested": "ban_to_chuc_tinh_uy",
}


def _one_line(r: Any, status: int, *needles: str) -> None:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    detail = r.json()["detail"]
    assert isinstance(detail, str) and "\n" not in detail and len(detail) <= 300
    for n in needles:
        assert n in detail, detail


def test_oversized_body_by_content_length(client: TestClient, keys: Keys) -> None:
    big = {**EVENT, "summary": "x" * (300 * 1024)}
    r = client.post("/v1/notify", json=big, headers=keys.h(keys.a))
    _one_line(r, 413, "body", "262144 bytes")


def test_oversized_chunked_body(client: TestClient, keys: Keys) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"type": "coordination_requested", "summary": "'
        for _ in range(40):
            yield b"y" * 8192
        yield b'"}'

    headers = {**keys.h(keys.a), "content-type": "application/json"}
    r = client.post("/v1/notify", content=chunks(), headers=headers)
    _one_line(r, 413, "body")


@pytest.mark.parametrize(
    ("body", "needles"),
    [
        (b'{"type": "coordination_requested",', ("body", "malformed JSON")),
        (b"[1, 2, 3]", ("body",)),
        (b'"just a string"', ("body",)),
        (b"{}", ("body.type", "missing")),
        (b'{"type": "no_such_event", "date": "2025-01-01"}', ("body.type", "no_such_event")),
        (
            b'{"type": "coordination_requested", "date": "2025-01-23", "requester": "x",'
            b' "requested": "dang_uy_khoi"}',
            ("body.requester", "unknown party 'x'"),
        ),
        (
            b'{"type": "coordination_requested", "date": "23/01/2025", "requester": "dang_uy_khoi",'
            b' "requested": "ban_to_chuc_tinh_uy"}',
            ("body.date", "ISO date"),
        ),
        (
            b'{"type": "personnel_action", "date": "2025-03-04", "person_in_bloc": "yes",'
            b' "action": "appointment",'
            b' "stage": "decision_planned"}',
            ("body.person_in_bloc",),
        ),
        (
            b'{"type": "coordination_requested", "date": "2025-01-23", "requester": "dang_uy_khoi",'
            b' "requested": "ban_to_chuc_tinh_uy", "extra": 1}',
            ("body.extra",),
        ),
        (b"\xff\xfe not utf-8", ("body",)),
    ],
)
def test_malformed_bodies(client: TestClient, keys: Keys, body: bytes, needles: tuple[str]) -> None:
    headers = {**keys.h(keys.a), "content-type": "application/json"}
    _one_line(client.post("/v1/notify", content=body, headers=headers), 422, *needles)


def test_bad_queries(client: TestClient, keys: Keys) -> None:
    h = keys.h(keys.a)
    _one_line(client.get("/v1/deadline?received=soon", headers=h), 422, "received")
    _one_line(client.get("/v1/deadline", headers=h), 422, "received", "required")
    _one_line(client.get("/v1/deadline?received=2025-01-24&days=0", headers=h), 422, "days")
    _one_line(client.get("/v1/deadline?received=2025-01-24&days=x", headers=h), 422, "days")


def test_batch_limits(client: TestClient, keys: Keys) -> None:
    h = keys.h(keys.a)
    too_many = {"events": [EVENT] * (BATCH_MAX + 1)}
    _one_line(client.post("/v1/notify/batch", json=too_many, headers=h), 422, "body.events")
    _one_line(client.post("/v1/notify/batch", json={"events": []}, headers=h), 422, "body.events")
    bad_third = {"events": [EVENT, EVENT, {**EVENT, "requested": "nobody"}]}
    _one_line(
        client.post("/v1/notify/batch", json=bad_third, headers=h),
        422,
        "body.events.2.requested",
        "unknown party 'nobody'",
    )


def test_rate_limit_per_key(tmp_path: Path, engine: Engine) -> None:
    settings = Settings(db_url=f"sqlite:///{tmp_path / 'r.db'}", rate_per_minute=60, rate_burst=3)
    app = create_app(settings, engine=engine)
    keys = make_keys(app.state.services.store)
    with TestClient(app, headers={"Accept-Language": "en"}) as client:
        codes = [client.get("/v1/rules", headers=keys.h(keys.a)).status_code for _ in range(5)]
        assert codes == [200, 200, 200, 429, 429]
        r = client.get("/v1/rules", headers=keys.h(keys.a))
        _one_line(r, 429, "rate limit", "60 requests per minute")
        assert 1 <= int(r.headers["retry-after"]) <= 2
        # another key has its own bucket
        assert client.get("/v1/rules", headers=keys.h(keys.b)).status_code == 200
