"""A bulk import large against what PostgreSQL knew of the tracker's tables has them
analysed once committed (``db.statistics``), so the status pages read right after it are
planned for the rows it added; a small batch into a known table leaves that to
autovacuum, and SQLite is never analysed."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import sqlalchemy as sa

from quyche_rules.engine.engine import Engine
from quyche_rules.tracker import Tracker

from .events import request
from .pgserver import PgServer

DAY = dt.date(2026, 11, 2)


def _batch(start: int, n: int) -> list[dict[str, object]]:
    return [
        request(f"{i}-CV/BTC", DAY + dt.timedelta(days=i % 20)) for i in range(start, start + n)
    ]


def _analysed(url: str) -> tuple[int, float]:
    """How many times the facts were analysed by hand (not by autovacuum), and the rows
    the statistics know."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            count = conn.execute(
                sa.text(
                    "SELECT analyze_count FROM pg_stat_user_tables "
                    "WHERE relname = 'tracker_case_facts'"
                )
            ).scalar_one()
            rows = conn.execute(
                sa.text("SELECT reltuples FROM pg_class WHERE relname = 'tracker_case_facts'")
            ).scalar_one()
        return int(count), float(rows)
    finally:
        engine.dispose()


def test_a_large_import_is_analysed_and_a_small_one_is_not(
    pg_server: PgServer, py_engine: Engine
) -> None:
    url = pg_server.new_database()
    with Tracker(url, engine=py_engine) as t:
        assert _analysed(url)[1] < 0  # never analysed
        t.record_many(_batch(0, 200))
        count, rows = _analysed(url)
        assert count == 1 and rows == 200
        t.record_many(_batch(200, 60))  # 60 <= 50 + a tenth of 200: autovacuum's to do
        assert _analysed(url) == (1, 200)
        t.record_many(_batch(0, 200))  # the same documents again: nothing written
        assert _analysed(url) == (1, 200)
        t.record_many(_batch(260, 80))  # more than 50 + 20
        assert _analysed(url) == (2, 340)


def test_sqlite_is_never_analysed(tmp_path: Path, py_engine: Engine) -> None:
    db = tmp_path / "tracker.db"
    with Tracker(str(db), engine=py_engine) as t:
        t.record_many(_batch(0, 200))
    with sqlite3.connect(db) as conn:
        found = conn.execute("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'")
        assert found.fetchone() is None
