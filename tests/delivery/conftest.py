"""Fixtures of the delivery tests: a tracker whose records queue their messages, on SQLite
and on a real throw-away PostgreSQL (these tests FAIL, never skip, without its binaries),
and a receiver the test controls."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from quyche_rules.delivery.outbox import attach
from quyche_rules.engine.engine import Engine
from quyche_rules.rulebook.loader import Rulebook
from quyche_rules.tracker import Tracker

from ..tracker.pgserver import find_bindir
from .receiver import Receiver


@pytest.fixture(scope="session")
def py_engine(book: Rulebook) -> Engine:
    return Engine(book, backend="python")


def pg_url(request: pytest.FixtureRequest) -> str:
    if find_bindir() is None:
        pytest.fail("PostgreSQL binaries missing (apt-get install postgresql-15)")
    return str(request.getfixturevalue("pg_server").new_database())


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "delivery.db")
    return pg_url(request)


@pytest.fixture
def tracker(db_url: str, py_engine: Engine) -> Iterator[Tracker]:
    t = attach(Tracker(db_url, engine=py_engine))
    yield t
    t.close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.stop()
