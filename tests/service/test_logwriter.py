"""Group commit of the decision log: every decision of every concurrent request lands
exactly once, and a request whose decisions cannot be stored fails alone."""

from __future__ import annotations

import datetime as dt
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import sqlalchemy as sa

from quyche_rules.db.service_tables import decisions
from quyche_rules.service.logwriter import DecisionWriter
from quyche_rules.service.store import DecisionRecord, Store


def _rec(decision_id: str | None = None) -> DecisionRecord:
    return DecisionRecord(
        decision_id=decision_id or str(uuid.uuid4()),
        decided_at=dt.datetime.now(dt.UTC),
        kind="notify",
        key_id="0badc0de",
        asked_by_party=None,
        parties=("dang_uy_khoi",),
        receipt={},
        input={"n": 1},
        result=[],
    )


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(f"sqlite:///{tmp_path / 'log.db'}")
    s.create_tables()
    return s


def _count(store: Store) -> int:
    with store.engine.connect() as conn:
        n: int = conn.execute(sa.select(sa.func.count()).select_from(decisions)).scalar_one()
        return n


def test_concurrent_appends_all_land_once(store: Store) -> None:
    writer = DecisionWriter(store)
    batches = [[_rec() for _ in range(1 + i % 3)] for i in range(120)]
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(writer.append, batches))
    ids = [r.decision_id for b in batches for r in b]
    assert _count(store) == len(ids)
    assert all(store.get_decision(i) is not None for i in ids[::17])
    assert 1 <= writer.transactions <= len(batches)


def test_a_bad_request_fails_alone_in_its_group(store: Store) -> None:
    taken = _rec()
    store.append_decisions([taken])
    writer = DecisionWriter(store, start=False)  # queue first, so all three share a group
    good1 = writer.submit([_rec()])
    bad = writer.submit([_rec(), _rec(taken.decision_id)])  # primary key already used
    good2 = writer.submit([_rec()])
    writer.start()
    good1.result(timeout=30)
    good2.result(timeout=30)
    with pytest.raises(sa.exc.IntegrityError):
        bad.result(timeout=30)
    assert _count(store) == 3, "the bad request's other decision is not half-written"
