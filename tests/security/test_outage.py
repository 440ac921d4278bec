"""Outages (finding 3): PostgreSQL stopped and started again under load answers only 503
(with Retry-After and a problem-details body) while it is down, never 500, and the same
running service answers 200 again once it is back; no acknowledged record is lost.
``/readyz`` says which check failed. PostgreSQL is required (a missing server fails the
test: the outage path is the product's promise, not an optional extra)."""

from __future__ import annotations

import collections
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from quyche_rules.engine.engine import Engine
from quyche_rules.service import Settings, create_app
from quyche_rules.service.auth import new_key

from ..tracker.pgserver import PgServer, find_bindir
from .conftest import A, D
from .live import serving

LOAD_SECONDS = 11.0
DOWN_AT, UP_AT = 3.0, 6.5


@pytest.fixture(scope="module")
def pg() -> Iterator[PgServer]:
    bindir = find_bindir()
    assert bindir is not None, "PostgreSQL (initdb, pg_ctl) is required: apt-get install postgresql"
    server = PgServer(bindir)
    try:
        yield server
    finally:
        server.stop()


def _event() -> dict[str, Any]:
    ref = f"{uuid.uuid4().hex[:12]}-CV/T"
    return {"type": "coordination_requested", "date": "2025-03-03", "received_on": "2025-03-03",
            "reference": ref, "requester": D, "requested": A}  # fmt: skip


def test_postgresql_stopped_and_started_under_load(pg: PgServer, sec_engine: Engine) -> None:
    url = pg.new_database()
    app: FastAPI = create_app(Settings(db_url=url, rate_per_minute=0), engine=sec_engine)
    key, _ = new_key(app.state.services.store, party=D, admin=False)
    headers = {"Authorization": f"Bearer {key}"}
    counts: dict[str, collections.Counter[int]] = {
        p: collections.Counter() for p in ("up", "down", "back")
    }
    acked: list[str] = []
    bad: list[str] = []
    lock = threading.Lock()
    start = 0.0
    state = {"phase": "up"}

    def worker(base: str) -> None:
        nonlocal start
        with httpx.Client(base_url=base, timeout=10) as c:
            i = 0
            while time.monotonic() - start < LOAD_SECONDS:
                i += 1
                phase = state["phase"]
                try:
                    if i % 2:
                        ev = _event()
                        r = c.post("/v1/track", json=ev, headers=headers)
                        if r.status_code == 200:
                            with lock:
                                acked.append(ev["reference"])
                    else:
                        r = c.get("/v1/track/status", headers=headers)
                except httpx.HTTPError as exc:  # a reset is as bad as a 500
                    with lock:
                        bad.append(f"{phase}: {type(exc).__name__}")
                    continue
                with lock:
                    counts[phase][r.status_code] += 1
                    if r.status_code == 503:
                        if r.headers.get("retry-after") is None or not r.headers[
                            "content-type"
                        ].startswith("application/problem+json"):
                            bad.append(f"503 without Retry-After/problem: {r.headers}")
                        body = r.json()
                        if not {"type", "title", "status", "detail"} <= set(body):
                            bad.append(f"problem body {body}")
                    elif r.status_code != 200:
                        bad.append(f"{phase}: {r.status_code} {r.text[:200]}")
                time.sleep(0.01)

    with serving(app) as (host, port):
        base = f"http://{host}:{port}"
        # warm up first: on a loaded machine the first requests can outlast the "up" phase
        for _ in range(3):
            warm = httpx.post(f"{base}/v1/track", json=_event(), headers=headers, timeout=30)
            assert warm.status_code == 200, warm.text
        start = time.monotonic()
        threads = [threading.Thread(target=worker, args=(base,)) for _ in range(4)]
        for t in threads:
            t.start()
        time.sleep(DOWN_AT)
        state["phase"] = "down"
        pg.halt()
        down_ready = httpx.get(f"{base}/readyz", timeout=10)
        time.sleep(UP_AT - DOWN_AT)
        pg.start()
        state["phase"] = "back"
        for t in threads:
            t.join()
        back_ready = httpx.get(f"{base}/readyz", timeout=10)
    print(f"\noutage load: up {dict(counts['up'])}, down {dict(counts['down'])}, "
          f"back {dict(counts['back'])}; acknowledged records {len(acked)}")  # fmt: skip
    assert not bad, bad[:5]
    assert counts["down"][503] > 0
    assert counts["back"][200] > 0, "the service did not recover without a restart"
    assert down_ready.status_code == 503 and down_ready.json()["checks"]["database"] != "ok"
    assert back_ready.status_code == 200, back_ready.text
    eng = sa.create_engine(url)
    with eng.connect() as conn:
        stored = set(conn.execute(sa.text("SELECT reference FROM tracker_records")).scalars())
    eng.dispose()
    lost = [r for r in acked if r not in stored]
    print(f"outage load: lost acknowledged records {len(lost)}")
    assert not lost


def test_readyz_names_the_failed_check(tmp_path: Path, sec_engine: Engine) -> None:
    """A disk below the threshold (the threshold above any real disk) and a database
    that no longer accepts writes (the version row locked away by a trigger)."""
    from fastapi.testclient import TestClient

    db = tmp_path / "r.db"
    settings = Settings(db_url=f"sqlite:///{db}", min_free_disk_mb=2**40)
    app = create_app(settings, engine=sec_engine)
    with TestClient(app) as c:
        r = c.get("/readyz")
        assert r.status_code == 503 and r.headers["retry-after"]
        got = r.json()["checks"]
        assert got["database"] == "ok" and got["write"] == "ok" and got["disk"].startswith("còn")
    app = create_app(Settings(db_url=f"sqlite:///{db}"), engine=sec_engine)
    eng = sa.create_engine(f"sqlite:///{db}")
    with eng.begin() as conn:
        conn.execute(sa.text(
            "CREATE TRIGGER no_write BEFORE UPDATE ON tracker_alembic_version "
            "BEGIN SELECT RAISE(ABORT, 'read-only'); END"))  # fmt: skip
    eng.dispose()
    with TestClient(app) as c:
        r = c.get("/readyz")
        assert r.status_code == 503
        assert r.json()["checks"]["write"] != "ok" and r.json()["checks"]["disk"] == "ok"
