"""An answer of ``POST /v1/notify`` is sent only once its decision is durable in the log.

The handler decides on the event loop, waits for the group commit without holding a
thread, and renders its answer from the JSON it made for the log. These tests hold it to
what it promises: the answer is what ``NotifyOut`` would give, byte for byte; it waits for
the commit; and a server killed (SIGKILL) right after answering still has every decision it
answered, on SQLite (WAL) and on PostgreSQL.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient
from pydantic import TypeAdapter

from quyche_rules.db.service_tables import decisions
from quyche_rules.engine.engine import Engine
from quyche_rules.model.event_checks import parse_event
from quyche_rules.service import Settings, create_app
from quyche_rules.service.auth import new_key
from quyche_rules.service.logwriter import DecisionWriter
from quyche_rules.service.models import NotifyOut
from quyche_rules.service.receipts import Receipt, canonical_json
from quyche_rules.service.store import Store

from ..live import quyche_serve
from ..tracker.pgserver import PgServer
from .conftest import Keys

EVENT = {
    "type": "coordination_requested",
    "date": "2025-01-23",
    "reference": "15/CV-ĐUK",
    "requester": "Đảng ủy Khối",
    "requested": "Ban Nội chính Tỉnh ủy",
    "received_on": "2025-01-24",
}


def test_the_answer_is_what_notify_out_gives_byte_for_byte(
    client: TestClient, keys: Keys, engine: Engine
) -> None:
    """Rendered from the log's JSON, not by FastAPI from ``NotifyOut``: the same bytes."""
    r = client.post("/v1/notify", json=EVENT, headers=keys.h(keys.admin))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/json"
    got = r.json()
    model = NotifyOut(
        obligations=engine.who_must_be_notified(EVENT),
        receipt=Receipt.model_validate(got["receipt"]),
    )
    fastapi_way = TypeAdapter(NotifyOut).dump_python(model, mode="json", by_alias=True)
    assert r.content == JSONResponse(fastapi_way).body
    assert got["obligations"][0]["document"] == "15/CV-ĐUK"


@pytest.mark.parametrize("full", [True, False])
def test_the_log_stores_the_text_the_receipt_hashes(
    tmp_path: Path, engine: Engine, full: bool
) -> None:
    """The input is serialised once: the receipt's hash is the hash of the canonical JSON
    of the validated event; with ``store_full_input`` the log stores exactly that text,
    by default the compact form (the same JSON without the free text)."""
    import hashlib
    import json

    app = create_app(
        Settings(
            db_url=f"sqlite:///{tmp_path / 'log.db'}", rate_per_minute=0, store_full_input=full
        ),
        engine=engine,
    )
    with TestClient(app) as client:
        key, _ = new_key(app.state.services.store, party=None, admin=True, label="t")
        r = client.post("/v1/notify", json=EVENT, headers={"Authorization": f"Bearer {key}"})
        assert r.status_code == 200, r.text
        receipt = r.json()["receipt"]
        with app.state.services.store.engine.connect() as conn:
            stored = conn.execute(
                sa.select(decisions.c.input).where(
                    decisions.c.decision_id == receipt["decision_id"]
                )
            ).scalar_one()
    whole = canonical_json(parse_event(EVENT).model_dump(mode="json"))
    assert hashlib.sha256(whole.encode()).hexdigest() == receipt["input_sha256"]
    if full:
        assert stored == whole
    else:
        compact = {k: v for k, v in json.loads(whole).items() if k != "summary"}
        assert json.loads(stored) == compact


def test_no_answer_before_the_decision_is_committed(tmp_path: Path, engine: Engine) -> None:
    """With the log's writer held back, the request waits; once the writer runs, the
    answer comes and its decision is already in the database."""
    app = create_app(
        Settings(db_url=f"sqlite:///{tmp_path / 'held.db'}", rate_per_minute=0), engine=engine
    )
    svc = app.state.services
    key, _ = new_key(svc.store, party=None, admin=True)
    held = DecisionWriter(svc.store, start=False)
    svc.log = held
    answers: list[httpx.Response] = []
    with TestClient(app) as c:
        t = threading.Thread(
            target=lambda: answers.append(
                c.post("/v1/notify", json=EVENT, headers={"Authorization": f"Bearer {key}"})
            )
        )
        t.start()
        t.join(1.0)
        assert t.is_alive() and not answers, "answered before its decision was logged"
        # the event loop is free meanwhile: another request is served
        assert c.get("/healthz").status_code == 200
        held.start()
        t.join(30)
    assert answers and answers[0].status_code == 200, answers
    rid = answers[0].json()["receipt"]["decision_id"]
    assert svc.store.get_decision(rid) is not None


def test_a_failed_commit_is_an_error_answer_never_a_receipt(tmp_path: Path, engine: Engine) -> None:
    """If the log cannot store the decision, the caller gets an error problem, not an
    answer whose receipt names a decision that does not exist."""
    app = create_app(
        Settings(db_url=f"sqlite:///{tmp_path / 'fails.db'}", rate_per_minute=0), engine=engine
    )
    svc = app.state.services
    key, _ = new_key(svc.store, party=None, admin=True)

    class Refusing(Store):
        def append_decisions(self, recs: Any) -> None:
            raise sa.exc.IntegrityError("INSERT", {}, Exception("refused"))

    refusing = Refusing(svc.store.engine)
    svc.log = DecisionWriter(refusing)
    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.post("/v1/notify", json=EVENT, headers={"Authorization": f"Bearer {key}"})
    assert r.status_code >= 500
    assert "receipt" not in r.text
    with svc.store.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(decisions)).scalar_one() == 0


# --- a real server, killed right after it answers ---------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'killed.db'}"
    server: PgServer = request.getfixturevalue("pg_server")
    return server.new_database()


@pytest.fixture
def server(db_url: str, tmp_path: Path) -> Iterator[tuple[str, str, subprocess.Popen[bytes]]]:
    store = Store(db_url)
    store.create_tables()
    key, _ = new_key(store, party=None, admin=True)
    store.engine.dispose()
    args = ["--db", db_url, "--rate-per-minute", "0"]
    with quyche_serve(*args, log=tmp_path / "server.log") as served:
        yield served.base, key, served.proc


def _logged(db_url: str, ids: list[str]) -> set[str]:
    store = Store(db_url)
    try:
        with store.engine.connect() as conn:
            rows = conn.execute(
                sa.select(decisions.c.decision_id).where(decisions.c.decision_id.in_(ids))
            )
            return {str(r.decision_id) for r in rows}
    finally:
        store.engine.dispose()


def test_answers_of_concurrent_requests_survive_sigkill(
    db_url: str, tmp_path: Path, server: tuple[str, str, subprocess.Popen[bytes]]
) -> None:
    """Eight clients, their requests sharing group commits; the server is killed with
    SIGKILL the moment the 40th answer arrives (others are in flight, some answered, some
    not): every decision answered is in the database, whatever its group."""
    base, key, proc = server
    headers = {"Authorization": f"Bearer {key}"}
    answered: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def client(n: int) -> None:
        with httpx.Client(base_url=base, headers=headers, timeout=30) as c:
            for i in range(1000):
                if stop.is_set():
                    return
                try:
                    r = c.post("/v1/notify", json={**EVENT, "reference": f"{n}-{i}/CV"})
                except httpx.TransportError:
                    return
                assert r.status_code == 200, r.text
                with lock:
                    answered.append(r.json()["receipt"]["decision_id"])
                    if len(answered) >= 40 and not stop.is_set():
                        stop.set()
                        os.killpg(proc.pid, signal.SIGKILL)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(client, range(8)))
    assert stop.is_set() and len(answered) >= 40
    proc.wait(timeout=30)
    assert _logged(db_url, answered) == set(answered)
