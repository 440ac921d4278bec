"""What ``POST /v1/notify`` no longer pays for, and what it still guarantees.

A busy key is checked on the event loop (no hop to a worker thread, no read) and its
quota pre-checked from the count this process keeps; that count may lag another
instance's decisions but never runs ahead of the database, so the exact refusal stays the
upsert in the writing transaction. The decision log is appended with pre-built SQL on the
driver's cursor: the chain it writes verifies on SQLite and PostgreSQL, a driver error
is SQLAlchemy's without the decision's values in it, and decisions that queue while the
writer takes the write lock join its commit.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from quyche_rules.db.service_tables import decisions, key_days
from quyche_rules.delivery import audit
from quyche_rules.engine.engine import Engine
from quyche_rules.service import Settings, create_app, deps
from quyche_rules.service.auth import new_key
from quyche_rules.service.logwriter import DecisionWriter
from quyche_rules.service.store import (
    VIETNAM,
    DecisionRecord,
    QuotaExceeded,
    Store,
    vietnam_day,
)

from ..tracker.pgserver import PgServer

EVENT = {
    "type": "coordination_requested",
    "date": "2025-01-23",
    "reference": "15/CV-ĐUK",
    "requester": "Đảng ủy Khối",
    "requested": "Ban Nội chính Tỉnh ủy",
    "received_on": "2025-01-24",
}


def _count(store: Store) -> int:
    with store.engine.connect() as conn:
        n: int = conn.execute(sa.select(sa.func.count()).select_from(decisions)).scalar_one()
    return n


def _hops(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record every hop ``deps`` makes to a worker thread (and still make it)."""
    hops: list[str] = []
    real = deps.run_in_threadpool

    async def counting(fn: Callable[..., Any], *args: Any, **kw: Any) -> Any:
        hops.append(getattr(fn, "__name__", str(fn)))
        return await real(fn, *args, **kw)

    monkeypatch.setattr(deps, "run_in_threadpool", counting)
    return hops


@pytest.mark.parametrize("ttl", [60.0, 0.0])
def test_a_kept_key_is_checked_on_the_loop_without_a_hop(
    ttl: float, tmp_path: Path, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_app(
        Settings(db_url=f"sqlite:///{tmp_path / 'k.db'}", rate_per_minute=0,
                 key_cache_seconds=ttl), engine=engine)  # fmt: skip
    key, _ = new_key(app.state.services.store, party=None, admin=True)
    hops = _hops(monkeypatch)
    with TestClient(app) as c:
        for _ in range(3):
            r = c.post("/v1/notify", json=EVENT, headers={"Authorization": f"Bearer {key}"})
            assert r.status_code == 200, r.text
        bad = c.post("/v1/notify", json=EVENT, headers={"Authorization": "Bearer qk_nope"})
        assert bad.status_code == 401  # malformed: refused as it is, no read either
    # kept for 60 s: read once (the first request), then answered on the loop; with
    # ``key_cache_seconds=0`` every request reads its key, in a worker thread
    assert hops == ["check_request_key"] * (1 if ttl else 3), hops


def test_the_quota_pre_check_uses_the_kept_count_and_never_overcounts(
    tmp_path: Path, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_app(
        Settings(db_url=f"sqlite:///{tmp_path / 'q.db'}", rate_per_minute=0,
                 decisions_per_day=3, key_cache_seconds=60), engine=engine)  # fmt: skip
    store: Store = app.state.services.store
    key, rec = new_key(store, party=None, admin=True)
    h = {"Authorization": f"Bearer {key}"}
    day = vietnam_day(dt.datetime.now(dt.UTC))
    with TestClient(app) as c:
        assert c.post("/v1/notify", json=EVENT, headers=h).status_code == 200
        # another instance stores two decisions of this key: this one's count lags
        with store.engine.begin() as conn:
            conn.execute(key_days.update().values(decisions=key_days.c.decisions + 2))
        assert store.known_decisions_on(rec.key_id, day, 60) == 1
        # the pre-check passes on the lagging count; the writing transaction refuses
        r = c.post("/v1/notify", json=EVENT, headers=h)
        assert r.status_code == 429, r.text
        assert store.known_decisions_on(rec.key_id, day, 60) == 3  # the database's, no more

        def no_read(*_: Any) -> int:
            raise AssertionError("the pre-check read the database")

        monkeypatch.setattr(store, "decisions_on", no_read)
        r = c.post("/v1/notify", json=EVENT, headers=h)  # refused from the kept count
        assert r.status_code == 429, r.text
        assert "quota" in r.json()["detail"]
    assert _count(store) == 1  # the one answered here; the quota held exactly


def test_an_over_quota_transaction_leaves_the_kept_count_at_the_database_s(
    tmp_path: Path,
) -> None:
    store = Store(f"sqlite:///{tmp_path / 'c.db'}")
    store.create_tables()
    store.daily_quota = 2
    now = dt.datetime.now(dt.UTC)
    with pytest.raises(QuotaExceeded):
        store.append_decisions([_rec(now), _rec(now), _rec(now)])
    assert store.known_decisions_on("0badc0de", vietnam_day(now), 60) == 0
    assert store.decisions_on("0badc0de", vietnam_day(now)) == 0 and _count(store) == 0


def _rec(when: dt.datetime, decision_id: str | None = None) -> DecisionRecord:
    return DecisionRecord(
        decision_id=decision_id or str(uuid.uuid4()),
        decided_at=when,
        kind="notify",
        key_id="0badc0de",
        asked_by_party=None,
        parties=("dang_uy_khoi",),
        receipt={"x": "Đảng ủy Khối"},
        input={"summary": "Ông Nguyễn Văn A"},
        result=[],
    )


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'log.db'}"
    server: PgServer = request.getfixturevalue("pg_server")
    return server.new_database()


def test_the_chain_written_by_the_fast_append_verifies(db_url: str) -> None:
    """Hashed from the values bound, it matches the rows ``audit verify`` reads back,
    whatever the timestamp's offset (stored as UTC) and on both databases."""
    store = Store(db_url)
    store.create_tables()
    utc = dt.datetime(2026, 3, 1, 17, 30, 5, 123456, tzinfo=dt.UTC)
    local = utc.astimezone(VIETNAM)  # the same instant, at +07:00
    first, second = _rec(utc), _rec(local)
    store.append_decisions([first, second])
    store.append_decisions([_rec(utc + dt.timedelta(seconds=1))])
    verdict = audit.verify(store.engine)
    assert verdict.ok and verdict.links == 3, verdict
    for rec in (first, second):
        got = store.get_decision(rec.decision_id)
        assert got is not None
        stored = got.decided_at
        stored = stored.replace(tzinfo=dt.UTC) if stored.tzinfo is None else stored
        assert stored == utc
    assert store.decisions_on("0badc0de", vietnam_day(utc)) == 3


def test_a_driver_error_is_sqlalchemy_s_and_names_no_values(db_url: str) -> None:
    store = Store(db_url)
    store.create_tables()
    taken = _rec(dt.datetime.now(dt.UTC))
    store.append_decisions([taken])
    with pytest.raises(sa.exc.IntegrityError) as exc:
        store.append_decisions([_rec(dt.datetime.now(dt.UTC), taken.decision_id)])
    # the driver's own message may name the key (PostgreSQL does); the bound values, which
    # may name people, are never added
    assert "Nguyễn" not in str(exc.value) and "Đảng" not in str(exc.value)
    assert _count(store) == 1 and audit.verify(store.engine).ok


def test_decisions_queued_while_the_writer_takes_the_lock_join_its_commit(
    tmp_path: Path,
) -> None:
    late: list[Any] = []

    class Arriving(Store):
        """Two requests queue while the first group's transaction begins."""

        def append_decisions(
            self, recs: list[DecisionRecord], more: Callable[[], list[DecisionRecord]] | None = None
        ) -> None:
            if more is not None and not late:
                late.extend(writer.submit([_rec(dt.datetime.now(dt.UTC))]) for _ in range(2))
            super().append_decisions(recs, more)

    store = Arriving(f"sqlite:///{tmp_path / 'g.db'}")
    store.create_tables()
    writer = DecisionWriter(store, start=False)
    first = writer.submit([_rec(dt.datetime.now(dt.UTC))])
    writer.start()
    first.result(timeout=30)
    for fut in late:
        fut.result(timeout=30)
    assert writer.transactions == 1  # one commit, one fsync, for the three requests
    assert _count(store) == 3 and audit.verify(store.engine).ok
