"""The service's store on both databases the tracker supports: SQLite and a real,
throw-away PostgreSQL server (``pg_server``, shared with the tracker's tests). One database
holds both: the tracker's migrations make the ``service_`` tables, keys and decisions
round-trip, and the app records and answers on it."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from quyche_rules.db.service_tables import metadata
from quyche_rules.engine.engine import Engine
from quyche_rules.service import Settings, create_app
from quyche_rules.service.auth import authenticate, new_key
from quyche_rules.service.store import DecisionRecord, Store

from ..tracker.pgserver import PgServer


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'service.db'}"
    server: PgServer = request.getfixturevalue("pg_server")
    return server.new_database()


def test_tables_keys_and_decisions(db_url: str) -> None:
    store = Store(db_url)
    store.create_tables()
    store.create_tables()  # a second start-up finds the newest revision and changes nothing
    tables = set(sa.inspect(store.engine).get_table_names())
    assert {t.name for t in metadata.sorted_tables} <= tables
    assert {"tracker_records", "tracker_alembic_version"} <= tables
    key, rec = new_key(store, party="ban_to_chuc_tinh_uy", admin=False, label="văn thư")
    who = authenticate(store, key)
    assert who is not None and who.party == "ban_to_chuc_tinh_uy"
    assert store.revoke_key(rec.key_id, dt.datetime.now(dt.UTC))
    assert not store.revoke_key(rec.key_id, dt.datetime.now(dt.UTC))
    assert authenticate(store, key) is None
    did = str(uuid.uuid4())
    decided = dt.datetime(2025, 1, 24, 3, 0, tzinfo=dt.UTC)
    store.append_decisions(
        [
            DecisionRecord(
                decision_id=did,
                decided_at=decided,
                kind="notify",
                key_id=rec.key_id,
                asked_by_party="ban_to_chuc_tinh_uy",
                parties=("dang_uy_khoi", "ban_to_chuc_tinh_uy"),
                receipt={"decision_id": did},
                input={"type": "coordination_requested", "reference": "15-CV/ĐUK"},
                result=[{"due": "2025-02-11"}],
            )
        ]
    )
    got = store.get_decision(did)
    assert got is not None
    assert got.parties == ("dang_uy_khoi", "ban_to_chuc_tinh_uy")
    assert got.input["reference"] == "15-CV/ĐUK" and got.result == [{"due": "2025-02-11"}]
    assert got.decided_at.replace(tzinfo=got.decided_at.tzinfo or dt.UTC) == decided
    with pytest.raises(sa.exc.IntegrityError):  # append-only: an id is never rewritten
        store.append_decisions([got])
    store.engine.dispose()


def test_the_app_records_and_answers_on_the_database(db_url: str, engine: Engine) -> None:
    app = create_app(Settings(db_url=db_url, rate_per_minute=0), engine=engine)
    key, _ = new_key(app.state.services.store, party="dang_uy_khoi", admin=False)
    h = {"Authorization": f"Bearer {key}"}
    event = {
        "type": "coordination_requested",
        "date": "2025-01-24",
        "received_on": "2025-01-24",
        "reference": "15-CV/ĐUK",
        "requester": "Đảng ủy Khối",
        "requested": "Ban Nội chính Tỉnh ủy",
    }
    with TestClient(app) as client:
        r = client.post("/v1/track", json=event, headers=h)
        assert r.status_code == 200, r.text
        (case,) = r.json()["opened"]
        assert case["due"] == "2025-02-11"  # 7 working days, Tết 2025 not counted
        logged = client.get(f"/v1/decisions/{r.json()['receipt']['decision_id']}", headers=h)
        assert logged.status_code == 200 and logged.json()["kind"] == "track"
        status = client.get("/v1/track/status?as_of=2025-02-12", headers=h).json()
        assert [c["state"] for c in status["consent"]] == ["consent"]
    app.state.services.tracker.close()
    app.state.services.store.engine.dispose()


def test_one_default_database_for_serve_and_track(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No --db and no QUYCHE_DB: the service opens the tracker's default file."""
    from quyche_rules.cli.serve import _db_url
    from quyche_rules.tracker import resolve_url

    monkeypatch.delenv("QUYCHE_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    store = Store(_db_url(None))
    expected = resolve_url(None)
    assert store.engine.url.database == expected.database
    assert expected.database == str(tmp_path / "data" / "quyche-rules" / "tracker.db")
    store.create_tables()
    assert Path(expected.database).exists()
    store.engine.dispose()


def test_a_database_of_an_earlier_service_is_adopted(tmp_path: Path) -> None:
    """Made by the former ``create_all`` (no Alembic version): migrating keeps its keys."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    old = Store(url)
    metadata.create_all(old.engine)
    key, _ = new_key(old, party=None, admin=True)
    old.create_tables()
    tables = set(sa.inspect(old.engine).get_table_names())
    assert {"tracker_records", "service_api_keys"} <= tables
    assert authenticate(Store(url), key) is not None
    old.engine.dispose()
