"""Bounded storage (finding 6): a per-key quota of stored decisions per day, counted in
the database (429 with Retry-After until midnight in Vietnam), a compact stored input
(the hash of the whole in the receipt, free text left out unless configured), and
retention that keeps the audit chain verifiable."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from quyche_rules.cli.main import app as cli
from quyche_rules.engine.engine import Engine
from quyche_rules.model.event_checks import parse_event
from quyche_rules.service import Settings, create_app
from quyche_rules.service.auth import new_key
from quyche_rules.service.quota import seconds_to_midnight
from quyche_rules.service.receipts import input_hash

from .conftest import A, D, bearer

SUMMARY = "Đề nghị cho ý kiến về nhân sự ông Nguyễn Văn A, sinh năm 1970, " * 20


def _event(**extra: Any) -> dict[str, Any]:
    ref = f"{uuid.uuid4().hex[:10]}-CV/T"
    return {"type": "coordination_requested", "date": "2025-03-03", "received_on": "2025-03-03",
            "reference": ref, "requester": D, "requested": A, **extra}  # fmt: skip


def _app(url: str, engine: Engine, **settings: Any) -> Any:
    return create_app(Settings(db_url=url, rate_per_minute=0, **settings), engine=engine)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_the_quota_is_counted_in_the_database_and_shared(
    backend: str, tmp_path: Path, sec_engine: Engine, request: pytest.FixtureRequest
) -> None:
    url = (f"sqlite:///{tmp_path / 'q.db'}" if backend == "sqlite"
           else request.getfixturevalue("sec_pg").new_database())  # fmt: skip
    one = _app(url, sec_engine, decisions_per_day=3)
    two = _app(url, sec_engine, decisions_per_day=3)  # a second instance, same database
    key, _ = new_key(one.state.services.store, party=D, admin=False)
    other, _ = new_key(one.state.services.store, party=D, admin=False)
    with TestClient(one) as c1, TestClient(two) as c2:
        assert c1.post("/v1/notify", json=_event(), headers=bearer(key)).status_code == 200
        assert c2.post("/v1/track", json=_event(), headers=bearer(key)).status_code == 200
        assert c1.get("/v1/duties/dang_uy_khoi", headers=bearer(key)).status_code == 200
        for client, path in ((c2, "/v1/notify"), (c1, "/v1/track")):
            r = client.post(path, json=_event(), headers=bearer(key))
            assert r.status_code == 429, r.text
            assert r.headers["content-type"].startswith("application/problem+json")
            assert "quota" in r.json()["detail"] and "\n" not in r.json()["detail"]
            assert 1 <= int(r.headers["Retry-After"]) <= 86400
        # a batch that would cross the quota is refused whole; another key is not affected
        batch = {"events": [_event(), _event()]}
        assert c2.post("/v1/notify/batch", json=batch, headers=bearer(other)).status_code == 200
        assert c2.post("/v1/notify/batch", json=batch, headers=bearer(other)).status_code == 429
    with one.state.services.store.engine.connect() as conn:
        n = conn.execute(sa.text("SELECT count(*) FROM service_decisions")).scalar_one()
    assert n == 5  # 3 for the first key, 2 for the other: nothing over the quota stored


def test_retry_after_runs_to_midnight_in_vietnam() -> None:
    # 16:59:30 UTC is 23:59:30 in Hà Nội: the day turns in 30 s
    assert seconds_to_midnight(dt.datetime(2026, 12, 3, 16, 59, 30, tzinfo=dt.UTC)) == 30
    assert seconds_to_midnight(dt.datetime(2026, 12, 3, 17, 0, 0, tzinfo=dt.UTC)) == 86400


def _stored(app: Any, decision_id: str) -> tuple[Any, int]:
    from quyche_rules.db.service_tables import decisions

    with app.state.services.store.engine.connect() as conn:
        row = conn.execute(sa.select(decisions).where(decisions.c.decision_id == decision_id)).one()
    size = sum(len(str(v).encode()) for v in row._asdict().values())
    return json.loads(row.input), size


@pytest.mark.parametrize("path", ["/v1/notify", "/v1/track"])
def test_the_stored_input_is_compact_unless_configured(
    tmp_path: Path, sec_engine: Engine, path: str
) -> None:
    compact = _app(f"sqlite:///{tmp_path / 'c.db'}", sec_engine)
    full = _app(f"sqlite:///{tmp_path / 'f.db'}", sec_engine, store_full_input=True)
    sizes = []
    for app in (compact, full):
        key, _ = new_key(app.state.services.store, party=D, admin=False)
        ev = _event(summary=SUMMARY)
        with TestClient(app) as client:
            r = client.post(path, json=ev, headers=bearer(key))
        assert r.status_code == 200, r.text
        receipt = r.json()["receipt"]
        stored, size = _stored(app, receipt["decision_id"])
        sizes.append(size)
        canonical = {**ev, "requester": D, "requested": A}
        if app is full:
            assert stored["summary"] == SUMMARY
            continue
        assert "summary" not in stored  # free text that may name a person: not kept
        for f in ("type", "date", "received_on", "reference", "requester", "requested"):
            assert stored[f] == canonical[f], f
        # the receipt's hash is of the whole input, so the original still verifies
        parsed = parse_event(canonical, registry=app.state.services.engine.parties)
        assert receipt["input_sha256"] == input_hash(parsed.model_dump(mode="json"))
    assert sizes[0] < sizes[1] - len(SUMMARY.encode()) // 2


def test_pruning_keeps_the_audit_chain_verifiable(tmp_path: Path, sec_engine: Engine) -> None:
    db = tmp_path / "p.db"
    app = _app(f"sqlite:///{db}", sec_engine)
    key, _ = new_key(app.state.services.store, party=D, admin=False)
    run = CliRunner()
    tomorrow = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).date().isoformat()

    def verified() -> None:
        out = run.invoke(cli, ["audit", "verify", "--db", str(db)])
        assert out.exit_code == 0, out.output

    def pruned(before: str) -> int:
        out = run.invoke(cli, ["decisions", "prune", "--before", before, "--db", str(db)])
        assert out.exit_code == 0, out.output
        return int(json.loads(out.output)["pruned"])

    with TestClient(app) as client:
        for path in ("/v1/notify", "/v1/track", "/v1/notify"):  # decide, prune; three times
            for _ in range(3):
                r = client.post(path, json=_event(summary="x"), headers=bearer(key))
                assert r.status_code == 200, r.text
            verified()
            assert pruned("2001-01-01") == 0  # nothing that old: the chain is untouched
            verified()
            assert pruned(tomorrow) == 3
            verified()
        r = client.post("/v1/notify", json=_event(), headers=bearer(key))
        assert r.status_code == 200
    verified()


def test_the_quota_holds_exactly_under_concurrent_requests(
    tmp_path: Path, sec_engine: Engine
) -> None:
    """Twelve requests of one key at once, quota 5: the count checked in the writing
    transaction lets exactly five be stored, whatever passed the early check together."""
    import threading

    import httpx

    from .live import serving

    app = _app(f"sqlite:///{tmp_path / 'race.db'}", sec_engine, decisions_per_day=5)
    key, _ = new_key(app.state.services.store, party=D, admin=False)
    statuses: list[int] = []
    go = threading.Barrier(12)
    with serving(app) as (host, port):

        def one(i: int) -> None:
            path = "/v1/track" if i % 2 else "/v1/notify"
            with httpx.Client(base_url=f"http://{host}:{port}", timeout=60) as c:
                go.wait()
                statuses.append(c.post(path, json=_event(), headers=bearer(key)).status_code)

        threads = [threading.Thread(target=one, args=(i,)) for i in range(12)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert sorted(statuses) == [200] * 5 + [429] * 7, statuses
    with app.state.services.store.engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT count(*) FROM service_decisions")).scalar_one()
        tracked = conn.execute(
            sa.text("SELECT count(*) FROM service_decisions WHERE kind = 'track'")
        ).scalar_one()
        records = conn.execute(sa.text("SELECT count(*) FROM tracker_records")).scalar_one()
    assert stored == 5
    assert records == tracked  # a refused track left no record behind its refused entry
