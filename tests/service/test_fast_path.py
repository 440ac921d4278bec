"""The fast path of ``POST /v1/notify`` (``service.fastpath``) answers exactly as the full
FastAPI stack does: two apps, one with it and one without, are sent the same requests
(answered, refused for every reason, in either language, gzipped or not, under several
profiles) and must give the same status, the same headers in the same order and the same
body, but for what names the decision itself (its id and time). Each test also counts
what the fast path answered, so a fast path that always gave up would fail them."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient

from quyche_rules.engine.engine import Engine
from quyche_rules.service import Settings, create_app
from quyche_rules.service.auth import new_key
from quyche_rules.service.fastpath import NotifyFastPath
from quyche_rules.service.logwriter import DecisionWriter

from .conftest import ROOT
from .provinces import body_id, body_name, write_provinces

EVENTS = sorted((ROOT / "examples" / "events").glob("*.yaml"))
RID = {"X-Request-ID": "fast-path-test"}


def _event(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        json.dumps(yaml.safe_load(path.read_text("utf-8")), default=str)
    )
    return data


def fast_path(app: FastAPI) -> NotifyFastPath:
    """The app's fast-path layer (the middleware stack is built on the first request)."""
    layer: Any = app.middleware_stack
    while layer is not None and not isinstance(layer, NotifyFastPath):
        layer = getattr(layer, "app", None)
    assert layer is not None, "no fast path in the stack"
    return layer


class Pair:
    """The same service twice, on two databases: with the fast path and without. Each key
    is made in both (same party), so a request can be sent to each as it is."""

    def __init__(self, tmp: Path, engine: Engine | None = None, **settings: Any) -> None:
        self.apps = {
            fast: create_app(
                Settings(db_url=f"sqlite:///{tmp}/{fast}.db", fast_path=fast, **settings),
                engine=engine,
            )
            for fast in (True, False)
        }
        self.clients = {fast: TestClient(app) for fast, app in self.apps.items()}
        for c in self.clients.values():
            c.__enter__()

    def close(self) -> None:
        for c in self.clients.values():
            c.__exit__(None, None, None)

    def key(self, party: str | None = None, profile: str | None = None) -> dict[bool, str]:
        return {
            fast: new_key(
                app.state.services.store, party=party, admin=party is None, profile=profile
            )[0]
            for fast, app in self.apps.items()
        }

    def answered(self) -> int:
        return fast_path(self.apps[True]).answered

    def post(
        self,
        keys: dict[bool, str] | None,
        *,
        json_body: Any = None,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[httpx.Response, httpx.Response]:
        out = []
        given = dict(headers or {})
        if content is None:
            content = json.dumps(json_body, ensure_ascii=False).encode()
            given.setdefault("Content-Type", "application/json")
        for fast in (True, False):
            h = dict(given)
            if keys is not None:
                h["Authorization"] = f"Bearer {keys[fast]}"
            out.append(self.clients[fast].post("/v1/notify", content=content, headers=h))
        return out[0], out[1]


def _same(fast: httpx.Response, full: httpx.Response) -> None:
    """Equal but for the decision's own id and time (and the length they may change)."""
    assert fast.status_code == full.status_code, (fast.text, full.text)
    drop = {b"content-length"} if fast.status_code == 200 else set()
    assert [h for h in fast.headers.raw if h[0] not in drop] == [
        h for h in full.headers.raw if h[0] not in drop
    ]
    if fast.status_code != 200:
        assert fast.content == full.content
        return
    a, b = fast.json(), full.json()
    for answer in (a, b):
        receipt = answer["receipt"]
        dt.datetime.fromisoformat(receipt.pop("decided_at"))
        assert len(receipt.pop("decision_id")) == 36
    assert a == b
    assert fast.content.startswith(b'{"obligations":')


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory, engine: Engine) -> Iterator[Pair]:
    p = Pair(tmp_path_factory.mktemp("fast"), engine, rate_per_minute=0)
    yield p
    p.close()


def test_every_example_is_answered_the_same_gzipped_or_not(pair: Pair) -> None:
    keys = pair.key()
    pair.post(keys, json_body=_event(EVENTS[0]), headers=RID)  # the key is read, then kept
    before = pair.answered()
    for path in EVENTS:
        for encoding in ("gzip, deflate", "identity"):
            fast, full = pair.post(
                keys, json_body=_event(path), headers={**RID, "Accept-Encoding": encoding}
            )
            assert fast.status_code == 200, fast.text
            _same(fast, full)
    assert pair.answered() - before == 2 * len(EVENTS)
    big = max(EVENTS, key=lambda p: len(json.dumps(_event(p))))
    raw = pair.clients[True].post(
        "/v1/notify",
        json=_event(big),
        headers={"Authorization": f"Bearer {keys[True]}", "Accept-Encoding": "gzip"},
    )
    assert raw.headers["content-encoding"] == "gzip"  # the answers over 2 KB are compressed
    assert raw.json()["obligations"]


#: an event with no duty: an answer under the gzip threshold (the receipt alone)
SMALL = {
    "type": "personnel_action",
    "date": "2025-10-01",
    "action": "appointment",
    "stage": "decision_planned",
    "decided_by": "Ủy ban nhân dân tỉnh",
    "person_in_bloc": False,
}


@pytest.mark.parametrize(
    "encoding", [None, "", "gzip", "GZIP", "gzip;q=0", "x-gzip", "br", "identity", "*"]
)
def test_every_reading_of_accept_encoding_is_starlettes(pair: Pair, encoding: str | None) -> None:
    """The fast path writes the gzip layer's headers itself (``service.prepared``): for
    any ``Accept-Encoding`` (Starlette gzips when the value contains ``gzip``, q-values
    unread), above and below the threshold, it answers as the full stack does."""
    keys = pair.key()
    big = _event(EVENTS[3])
    pair.post(keys, json_body=big)
    before = pair.answered()
    headers = {**RID} if encoding is None else {**RID, "Accept-Encoding": encoding}
    for event in (big, SMALL):
        fast, full = pair.post(keys, json_body=event, headers=headers)
        assert fast.status_code == 200, fast.text
        _same(fast, full)
        small = event is SMALL
        sent = fast.request.headers.get("accept-encoding", "")  # the client's own if None
        assert ("content-encoding" in fast.headers) == (not small and "gzip" in sent)
        assert fast.headers["vary"] == ("Accept-Language" if small else "Accept-Encoding")
    assert pair.answered() - before == 2


@pytest.mark.parametrize(
    "language", ["en", "vi", "fr", "en;q=0.2, vi;q=0.9", "en-GB, vi;q=0.1", ""]
)
def test_languages_and_request_ids_are_said_the_same(pair: Pair, language: str) -> None:
    keys = pair.key()
    event = _event(EVENTS[3])
    pair.post(keys, json_body=event)
    before = pair.answered()
    for rid in ("fast-path-test", "bad id with spaces", None):
        headers = {"Accept-Language": language}
        if rid is not None:
            headers["X-Request-ID"] = rid
        fast, full = pair.post(keys, json_body=event, headers=headers)
        if rid != "fast-path-test":  # a fresh id each: the same form, not the same value
            for r in (fast, full):
                assert len(r.headers["x-request-id"]) == 32
                assert r.json()["receipt"]["request_id"] == r.headers["x-request-id"]
            continue
        _same(fast, full)
        assert fast.json()["receipt"]["request_id"] == rid
    assert pair.answered() - before == 3


def test_refusals_come_from_the_full_stack(pair: Pair, tmp_path: Path) -> None:
    keys = pair.key()
    revoked = pair.key("ban_to_chuc_tinh_uy")
    for fast, app in pair.apps.items():
        store = app.state.services.store
        store.revoke_key(revoked[fast].split("_")[1], dt.datetime.now(dt.UTC))
    event = _event(EVENTS[0])
    pair.post(keys, json_body=event)
    before = pair.answered()
    cases: list[tuple[dict[bool, str] | None, dict[str, Any]]] = [
        (None, {"json_body": event}),  # no key: 401
        ({True: "qk_0badc0de_" + "x" * 43, False: "qk_0badc0de_" + "x" * 43}, {"json_body": event}),
        (revoked, {"json_body": event}),  # revoked: 401
        (keys, {"json_body": {**event, "type": "no_such_event"}}),  # 422
        (keys, {"json_body": {**event, "date": "04/03/2025"}}),  # 422 naming the field
        (keys, {"content": b'{"type": "x", "type": "y"}'}),  # duplicate key: 422
        (keys, {"content": b"{not json"}),
        (keys, {"content": b""}),
        (keys, {"content": b"\xff\xfe"}),
        (keys, {"content": json.dumps(event).encode()}),  # no Content-Type: 415
        (keys, {"content": b"x" * (257 * 1024)}),  # 413 (a valid key)
        (None, {"content": b"x" * (257 * 1024)}),  # 401 before 413
        (keys, {"json_body": event, "headers": {"Content-Type": "text/plain"}}),
        (keys, {"json_body": event, "headers": {"X-Quyche-Profile": "nowhere"}}),  # 422
        (keys, {"json_body": [event]}),
    ]
    for k, kw in cases:
        headers = {**RID, **kw.pop("headers", {})}
        fast, full = pair.post(k, headers=headers, **kw)
        assert fast.status_code >= 400, (kw.keys(), headers, fast.text)
        _same(fast, full)
    assert pair.answered() == before


@pytest.mark.parametrize("rate_store", ["memory", "database"])
def test_rate_limit_and_daily_quota_refuse_the_same(
    tmp_path: Path, engine: Engine, rate_store: str
) -> None:
    pair = Pair(
        tmp_path,
        engine,
        rate_per_minute=1,
        rate_burst=3,
        decisions_per_day=2,
        rate_store=rate_store,
    )
    try:
        keys = pair.key()
        event = _event(EVENTS[1])
        got = []
        for _ in range(4):
            fast, full = pair.post(keys, json_body=event, headers=RID)
            _same(fast, full)
            got.append(fast.status_code)
        # the first read the key (full stack), the second was answered here; the third is
        # over the day's quota of 2, the fourth over the burst of 3: the full stack refuses
        assert got == [200, 200, 429, 429]
        assert pair.answered() == 1
        r = pair.clients[True].get("/metrics")
        assert 'route="/v1/notify",status="200"} 2.0' in r.text
        assert 'quyche_decisions_total{kind="notify"} 2.0' in r.text
    finally:
        pair.close()


def test_each_key_answers_under_its_profile(tmp_path: Path) -> None:
    folder = tmp_path / "provinces"
    folder.mkdir()
    write_provinces(folder, 2)
    pair = Pair(tmp_path, profiles_dir=str(folder), backend="python", rate_per_minute=0)
    try:
        event = {
            "type": "personnel_action",
            "date": "2025-03-04",
            "action": "reappointment",
            "stage": "process_started",
            "person_in_bloc": True,
            "person_committee_role": "bi_thu",
        }
        for n in (1, 2):
            keys = pair.key(body_id(n, "so_y_te"), f"t{n:02d}")
            mine = {**event, "conducted_by": body_name(n, "Sở Y tế")}
            theirs = {**event, "conducted_by": body_name(3 - n, "Sở Y tế")}
            pair.post(keys, json_body=mine)  # the key is read, then kept
            before = pair.answered()
            fast, full = pair.post(keys, json_body=mine, headers=RID)
            _same(fast, full)
            assert fast.json()["receipt"]["profile"].startswith(f"t{n:02d}.yaml sha256:")
            assert pair.answered() == before + 1
            for other in (theirs, mine):
                asked = {"X-Quyche-Profile": f"t{3 - n:02d}"} if other is mine else {}
                fast, full = pair.post(keys, json_body=other, headers={**RID, **asked})
                assert fast.status_code in (403, 422), fast.text
                _same(fast, full)
            assert pair.answered() == before + 1
    finally:
        pair.close()


def test_the_access_log_line_is_the_same(pair: Pair, caplog: pytest.LogCaptureFixture) -> None:
    keys = pair.key()
    event = _event(EVENTS[2])
    pair.post(keys, json_body=event)
    lines = []
    for fast in (True, False):
        caplog.clear()
        with caplog.at_level("INFO", logger="quyche.access"):
            pair.clients[fast].post(
                "/v1/notify",
                json=event,
                headers={**RID, "Authorization": f"Bearer {keys[fast]}", "Accept-Encoding": "x"},
            )
        (record,) = [json.loads(r.getMessage()) for r in caplog.records]
        stamp = dt.datetime.strptime(record["ts"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
        assert abs((dt.datetime.now(dt.UTC) - stamp).total_seconds()) < 5
        for name in ("ts", "ms", "key_id"):
            assert record.pop(name)
        lines.append(record)
    assert (
        lines[0]
        == lines[1]
        == {
            "method": "POST",
            "path": "/v1/notify",
            "status": 200,
            "bytes_out": lines[1]["bytes_out"],
            "request_id": "fast-path-test",
        }
    )


def test_a_key_past_its_time_is_read_again_and_a_revocation_is_seen(
    tmp_path: Path, engine: Engine
) -> None:
    pair = Pair(tmp_path, engine, rate_per_minute=0, key_cache_seconds=0.05)
    try:
        keys = pair.key("ban_to_chuc_tinh_uy")
        event = _event(EVENTS[0])
        pair.post(keys, json_body=event)  # read by the full stack, then kept
        for _ in range(2):
            time.sleep(0.06)  # past its time: the fast path reads it again itself
            before = pair.answered()
            fast, full = pair.post(keys, json_body=event, headers=RID)
            _same(fast, full)
            assert pair.answered() == before + 1
        for fast_app, app in pair.apps.items():
            key_id = keys[fast_app].split("_")[1]
            app.state.services.store.revoke_key(key_id, dt.datetime.now(dt.UTC))
        time.sleep(0.06)
        before = pair.answered()
        fast, full = pair.post(keys, json_body=event, headers=RID)
        assert fast.status_code == 401
        _same(fast, full)
        assert pair.answered() == before
    finally:
        pair.close()


def test_every_answer_is_json_dumps_byte_for_byte(pair: Pair) -> None:
    """``decide.answer_body`` (pydantic-core's serialiser) writes what ``JSONResponse``
    (``json.dumps``) would, for every example: the bytes, not only the values."""
    keys = pair.key()
    for path in EVENTS:
        for fast in (True, False):
            r = pair.clients[fast].post(
                "/v1/notify",
                json=_event(path),
                headers={"Authorization": f"Bearer {keys[fast]}", "Accept-Encoding": "identity"},
            )
            assert r.status_code == 200, r.text
            assert r.content == JSONResponse(r.json()).body


def test_a_chunked_body_is_answered_by_the_full_stack(pair: Pair) -> None:
    keys = pair.key()
    event = _event(EVENTS[4])
    pair.post(keys, json_body=event)
    before = pair.answered()
    body = json.dumps(event).encode()
    got = []
    for fast in (True, False):
        got.append(
            pair.clients[fast].post(
                "/v1/notify",
                content=iter([body[:10], body[10:]]),  # no Content-Length: chunked
                headers={
                    **RID,
                    "Authorization": f"Bearer {keys[fast]}",
                    "Content-Type": "application/json",
                },
            )
        )
    assert got[0].status_code == 200, got[0].text
    _same(got[0], got[1])
    assert pair.answered() == before


def _decisions(app: FastAPI) -> int:
    store = app.state.services.store
    with store.engine.connect() as conn:
        return int(conn.exec_driver_sql("SELECT count(*) FROM service_decisions").scalar_one())


def test_the_answer_made_meanwhile_waits_for_the_commit(tmp_path: Path, engine: Engine) -> None:
    """The answer is made while the writer commits, but nothing is sent before the
    decision is durable: with the log's writer held back, no message of the answer leaves
    the app (watched at the ASGI ``send``, which the test client does not show)."""
    app = create_app(
        Settings(db_url=f"sqlite:///{tmp_path}/w.db", rate_per_minute=0), engine=engine
    )
    svc = app.state.services
    key = new_key(svc.store, party=None, admin=True)[0]
    sent: list[str] = []

    async def watched(scope: Any, receive: Any, send: Any) -> None:
        async def watching(message: Any) -> None:
            sent.append(message["type"])
            await send(message)

        await app(scope, receive, watching)

    answers: list[httpx.Response] = []
    auth = {"Authorization": f"Bearer {key}"}
    with TestClient(watched) as client:
        client.post("/v1/notify", json=_event(EVENTS[0]), headers=auth)  # the key now kept
        held = svc.log = DecisionWriter(svc.store, start=False)
        sent.clear()
        asking = threading.Thread(
            target=lambda: answers.append(
                client.post("/v1/notify", json=_event(EVENTS[0]), headers=auth)
            )
        )
        asking.start()
        asking.join(0.5)
        assert asking.is_alive() and sent == [], "answered before the decision was committed"
        held.start()
        asking.join(10)
    assert [a.status_code for a in answers] == [200]
    assert sent[0] == "http.response.start"
    assert fast_path(app).answered == 1
    assert _decisions(app) == 2


def test_an_answer_that_cannot_be_made_is_an_error_not_a_second_decision(
    tmp_path: Path, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once the decision is handed to the writer, a failure in making the answer is this
    request's 500 after the commit: the full stack is not asked to decide it again."""
    import quyche_rules.service.fastpath as fastpath_module

    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the answer could not be made")

    app = create_app(
        Settings(db_url=f"sqlite:///{tmp_path}/b.db", rate_per_minute=0), engine=engine
    )
    key = new_key(app.state.services.store, party=None, admin=True)[0]
    auth = {"Authorization": f"Bearer {key}"}
    with TestClient(app, raise_server_exceptions=False) as client:
        client.post("/v1/notify", json=_event(EVENTS[0]), headers=auth)  # the key now kept
        monkeypatch.setattr(fastpath_module, "messages", broken)
        answer = client.post("/v1/notify", json=_event(EVENTS[0]), headers=auth)
    assert answer.status_code == 500, answer.text
    assert _decisions(app) == 2
