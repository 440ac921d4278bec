"""Instances side by side on one PostgreSQL: what one instance does, the others see.

Two ``quyche serve`` processes started at once on a fresh database (the migrations run
once, under PostgreSQL's advisory lock), loaded by 8 clients whose pairs race the same
tracker documents across the two: no error, no decision answered and missing from the log,
no document recorded twice. A key's rate limit is one bucket in the database whichever
instance answers, and a key revoked through one instance is refused by another within the
key cache's time (``--key-cache-seconds``). ``benchmarks/bench_instances.py`` runs the
same load for 60 s."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from quyche_rules.engine.engine import Engine
from quyche_rules.service import Settings, create_app
from quyche_rules.service.auth import new_key
from quyche_rules.service.ratelimit import DatabaseRateLimiter
from quyche_rules.service.store import Store

from ..tracker.pgserver import PgServer
from .instances import audit, instances, run_load

TTL = 1.0  # the key cache's seconds in these tests


def test_two_instances_on_one_postgresql_lose_and_duplicate_nothing(pg_server: PgServer) -> None:
    url = pg_server.new_database()
    with instances(url, 2) as bases:  # started together on a database with no table yet
        key, _ = new_key(Store(url), party=None, admin=True)
        load = run_load(bases, key, clients=8, seconds=6, tag="two")
    assert load.errors == []
    assert load.requests >= 40 and len(load.documents) >= 10
    lost, duplicates = audit(url, load, "two")
    assert (lost, duplicates) == (0, 0)
    # both instances answered each raced document with the same record of the log
    assert all(len(seqs) == 1 for seqs in load.seqs.values())
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        versions = conn.execute(sa.text("SELECT version_num FROM tracker_alembic_version")).all()
    engine.dispose()
    assert [v[0] for v in versions] == [_head()]


def _head() -> str:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from quyche_rules.db.connect import MIGRATIONS_DIR

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    head = ScriptDirectory.from_config(cfg).get_current_head()
    assert head is not None
    return head


@pytest.fixture
def pair(pg_server: PgServer, engine: Engine) -> Iterator[tuple[TestClient, TestClient]]:
    url = pg_server.new_database()
    settings = Settings(db_url=url, rate_per_minute=60, rate_burst=5, key_cache_seconds=TTL)
    a, b = create_app(settings, engine=engine), create_app(settings, engine=engine)
    with TestClient(a) as ca, TestClient(b) as cb:
        yield ca, cb
    a.state.services.store.engine.dispose()
    b.state.services.store.engine.dispose()


def test_a_keys_rate_limit_is_shared_by_the_instances(
    pair: tuple[TestClient, TestClient],
) -> None:
    a, b = pair
    limiter = a.app.state.services.limiter  # type: ignore[attr-defined]
    assert isinstance(limiter, DatabaseRateLimiter)  # auto: the database on PostgreSQL
    key, _ = new_key(a.app.state.services.store, party=None, admin=True)  # type: ignore[attr-defined]
    h = {"Authorization": f"Bearer {key}"}
    # a burst of 5 across both instances (alone, each would allow 5)
    codes = [(a if n % 2 else b).get("/v1/coverage", headers=h).status_code for n in range(7)]
    assert codes[:5] == [200] * 5 and codes[5:] == [429, 429], codes
    r = a.get("/v1/coverage", headers=h)
    assert r.status_code == 429 and r.headers["Retry-After"] == "1"
    other, _ = new_key(a.app.state.services.store, party=None, admin=True)  # type: ignore[attr-defined]
    assert b.get("/v1/coverage", headers={"Authorization": f"Bearer {other}"}).status_code == 200


def test_a_key_revoked_on_one_instance_is_refused_by_the_other_in_time(
    pair: tuple[TestClient, TestClient],
) -> None:
    a, b = pair
    store = a.app.state.services.store  # type: ignore[attr-defined]
    key, rec = new_key(store, party=None, admin=True)
    h = {"Authorization": f"Bearer {key}"}
    assert b.get("/v1/coverage", headers=h).status_code == 200  # b now keeps the key
    assert store.revoke_key(rec.key_id, dt.datetime.now(dt.UTC))
    start = time.monotonic()
    while b.get("/v1/coverage", headers=h).status_code != 401:
        assert time.monotonic() - start < TTL + 0.5, "b still accepts a revoked key"
        time.sleep(0.05)
    assert a.get("/v1/coverage", headers=h).status_code == 401


def test_the_database_bucket_counts_on_sqlite_too(tmp_path: Path) -> None:
    """``--rate-store database`` on SQLite: the same bucket, its waits exact on a clock."""
    store = Store(f"sqlite:///{tmp_path / 'r.db'}")
    store.create_tables()
    now = [1000.0]
    limiter = DatabaseRateLimiter(store.engine, 60, 3, clock=lambda: now[0])
    assert [limiter.take("k1") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.take("k1") == pytest.approx(1.0)  # one per second refills
    assert limiter.take("k2") == 0.0  # another key, its own bucket
    now[0] += 0.5
    assert limiter.take("k1") == pytest.approx(0.5)
    now[0] += 0.5
    assert limiter.take("k1") == 0.0 and limiter.take("k1") > 0
    now[0] += 60  # a long pause refills to the burst, no more
    assert [limiter.take("k1") for _ in range(4)][3] > 0
    assert not DatabaseRateLimiter(store.engine, 0, 3).enabled
    store.engine.dispose()
