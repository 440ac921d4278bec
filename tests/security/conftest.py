"""A real service on a real SQLite file for the security tests, with a key of each kind
(the service tests' ``conftest`` builds them; reused, not copied)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from quyche_rules.engine.engine import Engine
from quyche_rules.service import Settings, create_app
from quyche_rules.service.auth import new_key

from ..service.conftest import Keys, make_keys

D = "dang_uy_khoi"  # the requester of every request here
A = "ban_to_chuc_tinh_uy"  # the requested body
B = "ban_noi_chinh_tinh_uy"  # a body that is no party of the case


@pytest.fixture(scope="session")
def sec_engine() -> Engine:
    return Engine()


@pytest.fixture(scope="session")
def sec_app(tmp_path_factory: pytest.TempPathFactory, sec_engine: Engine) -> FastAPI:
    db = tmp_path_factory.mktemp("security") / "security.db"
    return create_app(Settings(db_url=f"sqlite:///{db}", rate_per_minute=0), engine=sec_engine)


@pytest.fixture(scope="session")
def sec_keys(sec_app: FastAPI) -> Keys:
    return make_keys(sec_app.state.services.store)


@pytest.fixture(scope="session")
def d_key(sec_app: FastAPI) -> str:
    key, _ = new_key(sec_app.state.services.store, party=D, admin=False)
    return key


@pytest.fixture(scope="session")
def sec_client(sec_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(sec_app, raise_server_exceptions=False) as c:
        yield c


def bearer(key: str | None) -> dict[str, str]:
    return {} if key is None else {"Authorization": f"Bearer {key}"}


@pytest.fixture(scope="session")
def sec_pg() -> Iterator[Any]:
    """A throw-away PostgreSQL server for the security tests that need one (required:
    a missing server fails the test, it never skips)."""
    from ..tracker.pgserver import PgServer, find_bindir

    bindir = find_bindir()
    assert bindir is not None, "PostgreSQL (initdb, pg_ctl) is required: apt-get install postgresql"
    server = PgServer(bindir)
    try:
        yield server
    finally:
        server.stop()
