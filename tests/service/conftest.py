"""A real service on a real SQLite file (no mocks), with one key of each kind."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from quyche_rules.engine.engine import Engine
from quyche_rules.service import Settings, create_app
from quyche_rules.service.auth import new_key
from quyche_rules.service.store import Store

ROOT = Path(__file__).resolve().parents[2]
A = "ban_to_chuc_tinh_uy"  # a member of the class cac_co_quan
B = "ban_noi_chinh_tinh_uy"


@dataclass
class Keys:
    admin: str
    a: str
    b: str
    revoked: str
    unknown: str  # well formed, never stored

    def h(self, key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {key}"}


@pytest.fixture(scope="session")
def engine() -> Engine:
    return Engine()


def without_request(problem: dict[str, object]) -> dict[str, object]:
    """A problem without the members that name the request (they differ per request)."""
    return {k: v for k, v in problem.items() if k not in ("instance", "request_id")}


def make_keys(store: Store) -> Keys:
    import datetime as dt

    admin, _ = new_key(store, party=None, admin=True)
    a, _ = new_key(store, party=A, admin=False)
    b, _ = new_key(store, party=B, admin=False)
    revoked, rec = new_key(store, party=A, admin=False)
    store.revoke_key(rec.key_id, dt.datetime.now(dt.UTC))
    return Keys(admin, a, b, revoked, "qk_0badc0de_" + "x" * 43)


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory, engine: Engine) -> FastAPI:
    db = tmp_path_factory.mktemp("service") / "service.db"
    return create_app(Settings(db_url=f"sqlite:///{db}", rate_per_minute=0), engine=engine)


@pytest.fixture(scope="session")
def keys(app: FastAPI) -> Keys:
    return make_keys(app.state.services.store)


@pytest.fixture(scope="session")
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c
