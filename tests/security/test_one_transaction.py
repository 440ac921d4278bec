"""A tracker record and its decision-log entry commit in one transaction (finding 8):
a fault injected into either insert, by a trigger in a real database (SQLite and
PostgreSQL), leaves neither behind; and the library's ``then`` hook obeys the same
rule."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Connection

from quyche_rules.engine.engine import Engine
from quyche_rules.service import Settings, create_app
from quyche_rules.service.auth import new_key
from quyche_rules.tracker import Tracker
from quyche_rules.tracker.tracker import Recorded

from .conftest import A, D, bearer

TRIGGERS = {
    ("sqlite", "decisions"): [
        "CREATE TRIGGER inject_fault BEFORE INSERT ON service_decisions "
        "WHEN NEW.kind = 'track' BEGIN SELECT RAISE(ABORT, 'injected fault'); END"
    ],
    ("sqlite", "records"): [
        "CREATE TRIGGER inject_fault BEFORE INSERT ON tracker_records "
        "BEGIN SELECT RAISE(ABORT, 'injected fault'); END"
    ],
    ("postgresql", "decisions"): [
        "CREATE FUNCTION inject_fault() RETURNS trigger AS $$ BEGIN "
        "IF NEW.kind = 'track' THEN RAISE EXCEPTION 'injected fault'; END IF; "
        "RETURN NEW; END $$ LANGUAGE plpgsql",
        "CREATE TRIGGER inject_fault BEFORE INSERT ON service_decisions "
        "FOR EACH ROW EXECUTE FUNCTION inject_fault()",
    ],
    ("postgresql", "records"): [
        "CREATE FUNCTION inject_fault() RETURNS trigger AS $$ BEGIN "
        "RAISE EXCEPTION 'injected fault'; END $$ LANGUAGE plpgsql",
        "CREATE TRIGGER inject_fault BEFORE INSERT ON tracker_records "
        "FOR EACH ROW EXECUTE FUNCTION inject_fault()",
    ],
}


def _event() -> dict[str, Any]:
    ref = f"{uuid.uuid4().hex[:10]}-CV/T"
    return {"type": "coordination_requested", "date": "2025-03-03", "received_on": "2025-03-03",
            "reference": ref, "requester": D, "requested": A}  # fmt: skip


def _counts(engine: sa.Engine) -> tuple[int, int]:
    with engine.connect() as conn:
        records = conn.execute(sa.text("SELECT count(*) FROM tracker_records")).scalar_one()
        logged = conn.execute(
            sa.text("SELECT count(*) FROM service_decisions WHERE kind = 'track'")
        ).scalar_one()
    return int(records), int(logged)


@pytest.mark.parametrize("fails", ["decisions", "records"])
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_failed_insert_leaves_neither(
    backend: str, fails: str, tmp_path: Any, sec_engine: Engine, request: pytest.FixtureRequest
) -> None:
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'tx.db'}"
    else:
        url = request.getfixturevalue("sec_pg").new_database()
    app = create_app(Settings(db_url=url, rate_per_minute=0), engine=sec_engine)
    engine = app.state.services.store.engine
    key, _ = new_key(app.state.services.store, party=D, admin=False)
    with TestClient(app, raise_server_exceptions=False) as client:
        ok = client.post("/v1/track", json=_event(), headers=bearer(key))
        assert ok.status_code == 200, ok.text
        assert _counts(engine) == (1, 1)  # one record, one entry: they go together
        with engine.begin() as conn:
            for statement in TRIGGERS[backend, fails]:
                conn.execute(sa.text(statement))
        r = client.post("/v1/track", json=_event(), headers=bearer(key))
        assert r.status_code != 200, r.text
        assert _counts(engine) == (1, 1), f"{fails} failed: the other insert must not stay"
        with engine.begin() as conn:
            conn.execute(sa.text("DROP TRIGGER inject_fault" + (
                " ON " + ("service_decisions" if fails == "decisions" else "tracker_records")
                if backend == "postgresql" else "")))  # fmt: skip
        again = client.post("/v1/track", json=_event(), headers=bearer(key))
        assert again.status_code == 200, again.text
        assert _counts(engine) == (2, 2)


def test_the_librarys_then_commits_with_the_record_or_not_at_all(tmp_path: Any) -> None:
    t = Tracker(tmp_path / "lib.db")
    seen: list[Recorded] = []

    def fails(conn: Connection, r: Recorded) -> None:
        seen.append(r)
        raise RuntimeError("the caller's own write failed")

    with pytest.raises(RuntimeError):
        t.record(_event(), then=fails)
    assert seen and seen[0].created and seen[0].opened  # it saw the record in the transaction
    assert t.log() == []  # and it is not there

    def case_is_visible(conn: Connection, r: Recorded) -> None:
        seen.append(r)
        assert t.case(r.opened[0], r.event_date, conn=conn).id == r.opened[0]

    r = t.record(_event(), then=case_is_visible)
    assert len(t.log()) == 1 and r.created
