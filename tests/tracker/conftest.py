"""Fixtures of the tracker tests: every store test runs on SQLite and on a real,
throw-away PostgreSQL server (``pg_server``, in the shared ``tests/conftest.py``; failing,
never skipped, when no server binary exists: ``scripts/setup-system`` installs one)."""

from __future__ import annotations

from pathlib import Path

import pytest

from quyche_rules.engine.engine import Engine
from quyche_rules.rulebook.loader import Rulebook

from .pgserver import PgServer


@pytest.fixture(scope="session")
def py_engine(book: Rulebook) -> Engine:
    """The pure-Python backend: same answers as durable-rules (differential tests), and
    cheap to build in the subprocesses of the crash and concurrency tests."""
    return Engine(book, backend="python")


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh empty database of each kind."""
    if request.param == "sqlite":
        return str(tmp_path / "tracker.db")
    server: PgServer = request.getfixturevalue("pg_server")
    return server.new_database()
