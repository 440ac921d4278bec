"""The decision log's kept connection (``db.held``), on SQLite and a real PostgreSQL: one
checkout for many transactions; a refused transaction rolled back on the same connection;
a connection killed while idle replaced without losing or doubling the decision; a driver
error raised as SQLAlchemy's."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from quyche_rules.db.held import HeldConnection
from quyche_rules.db.service_tables import decisions
from quyche_rules.delivery import audit
from quyche_rules.service.store import DecisionRecord, QuotaExceeded, Store

from ..tracker.pgserver import PgServer


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'held.db'}"
    else:
        server: PgServer = request.getfixturevalue("pg_server")
        url = server.new_database()
    s = Store(url)
    s.create_tables()
    return s


def _rec(key_id: str = "k1") -> DecisionRecord:
    did = str(uuid.uuid4())
    return DecisionRecord(
        decision_id=did,
        decided_at=dt.datetime.now(dt.UTC),
        kind="notify",
        key_id=key_id,
        asked_by_party=None,
        parties=("dang_uy_khoi",),
        receipt={"decision_id": did},
        input={"type": "coordination_requested"},
        result=[],
    )


def _ids(store: Store) -> list[str]:
    with store.engine.connect() as conn:
        return list(conn.execute(sa.select(decisions.c.decision_id)).scalars())


def test_one_checkout_for_many_transactions(store: Store) -> None:
    recs = [_rec() for _ in range(20)]
    for r in recs:
        store.append_decisions([r])
    assert store._held.checkouts == 1
    assert sorted(_ids(store)) == sorted(r.decision_id for r in recs)
    assert store.decisions_on("k1", dt.datetime.now(dt.timezone(dt.timedelta(hours=7))).date())
    assert audit.verify(store.engine).ok


def test_a_refused_transaction_is_rolled_back_on_the_same_connection(store: Store) -> None:
    store.daily_quota = 2
    store.append_decisions([_rec(), _rec()])
    with pytest.raises(QuotaExceeded):
        store.append_decisions([_rec()])
    assert len(_ids(store)) == 2  # nothing of the refused one stayed
    store.append_decisions([_rec("k2")])  # the connection is usable at once
    assert store._held.checkouts == 1
    assert len(_ids(store)) == 3 and audit.verify(store.engine).ok


def test_a_duplicate_is_sqlalchemys_error_and_leaves_nothing(store: Store) -> None:
    taken = _rec()
    store.append_decisions([taken])
    with pytest.raises(sa.exc.IntegrityError):
        store.append_decisions([_rec(), taken])  # the first of the two must not stay
    assert _ids(store) == [taken.decision_id]
    store.append_decisions([_rec()])
    assert len(_ids(store)) == 2 and audit.verify(store.engine).ok


def test_a_connection_killed_while_idle_is_replaced(pg_server: PgServer) -> None:
    """What the pool's pre-ping caught at each checkout: the server ended the kept
    connection (a restart, an administrator) while the writer waited. The next append
    runs once more on a new connection: the decision is stored once, the caller never
    sees the dead one."""
    store = Store(pg_server.new_database())
    store.create_tables()
    store.append_decisions([_rec()])
    with store._held._lock:
        pid = store._held._raw.driver_connection.info.backend_pid
    with store.engine.connect() as conn:
        killed = conn.execute(sa.text("SELECT pg_terminate_backend(:p)"), {"p": pid}).scalar()
    assert killed
    late = _rec()
    joined: list[int] = []

    def more() -> list[DecisionRecord]:
        joined.append(1)
        return [late]

    first = _rec()
    store.append_decisions([first], more)
    assert store._held.checkouts == 2
    assert joined == [1]  # the late joiners were asked once, and kept for the second run
    ids = _ids(store)
    assert first.decision_id in ids and late.decision_id in ids and len(ids) == 3
    assert audit.verify(store.engine).ok


def test_a_database_that_is_away_is_sqlalchemys_operational_error(tmp_path: Path) -> None:
    """On SQLite the write lock held elsewhere past the busy timeout: the caller gets
    SQLAlchemy's ``OperationalError`` (a 503 for the service), never the driver's."""
    store = Store(f"sqlite:///{tmp_path / 'locked.db'}")
    store.create_tables()
    held = HeldConnection(store.engine)
    other = store.engine.raw_connection()
    other.driver_connection.execute("PRAGMA busy_timeout = 0")
    other.driver_connection.execute("BEGIN IMMEDIATE")
    try:
        held_raw = store.engine.raw_connection()
        held_raw.driver_connection.execute("PRAGMA busy_timeout = 0")
        held._raw, held.checkouts = held_raw, 1
        with pytest.raises(sa.exc.OperationalError):
            held.transaction(lambda driver: None)
    finally:
        other.driver_connection.execute("ROLLBACK")
        other.close()
    assert held.transaction(lambda driver: 7) == 7  # kept, and usable once the lock is free
    assert held.checkouts == 1
    held.close()
