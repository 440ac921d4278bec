"""Files (finding 7, and the zero-length file of finding 8): the SQLite database, its
``-wal`` and ``-shm`` are created 0600 in a 0700 directory whatever the caller's umask;
``quyche serve`` refuses a database other users can read unless told to; a zero-length
file is an error, not a new database."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from quyche_rules.cli.main import app as cli
from quyche_rules.errors import DatabaseError
from quyche_rules.tracker import Tracker

from .conftest import A, D

QUYCHE = str(Path(sys.executable).parent / "quyche")


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The loosest usual umask: what the files get must not come from it."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def _mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


def _record(db: Path) -> None:
    with Tracker(db) as t:
        t.record({"type": "coordination_requested", "date": "2025-03-03",
                  "received_on": "2025-03-03", "reference": "1-CV/T", "requester": D,
                  "requested": A})  # fmt: skip
        # while a connection is open (WAL mode) the -wal and -shm files exist
        with t.store.engine.connect():
            modes = {p.name: _mode(p) for p in db.parent.iterdir()}
    assert modes == {"t.db": 0o600, "t.db-wal": 0o600, "t.db-shm": 0o600}, modes


def test_new_database_and_its_wal_are_private(tmp_path: Path, open_umask: None) -> None:
    db = tmp_path / "new" / "dir" / "t.db"
    _record(db)
    assert _mode(db.parent) == 0o700
    assert _mode(db) == 0o600


def test_zero_length_file_is_an_error_not_a_new_database(tmp_path: Path) -> None:
    db = tmp_path / "empty.db"
    db.write_bytes(b"")
    with pytest.raises(DatabaseError, match=r"^--db: .*zero-length"):
        Tracker(db)
    assert db.stat().st_size == 0  # nothing was written into it
    r = CliRunner().invoke(cli, ["track", "status", "--party", A, "--db", str(db)])
    assert r.exit_code == 2 and "zero-length" in r.output and "Traceback" not in r.output
    assert len(r.output.strip().splitlines()) == 1


def test_serve_refuses_a_world_readable_database(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    _record(db)
    for f in tmp_path.iterdir():
        f.chmod(0o644)
    r = subprocess.run([QUYCHE, "serve", "--db", str(db), "--port", "1"],
                       capture_output=True, text=True, timeout=60)  # fmt: skip
    assert r.returncode == 2, r.stderr
    assert "--allow-insecure-permissions" in r.stderr and "644" in r.stderr
    assert "Traceback" not in r.stderr
