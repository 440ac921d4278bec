"""The live record's pre-built SQL (``tracker.writesql``, ``db.cursor``): it writes what the
batch import writes through SQLAlchemy, value for value, on both databases; its errors are
SQLAlchemy's, without the values bound; and a plain request stays a few statements."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from quyche_rules.db.cursor import DriverCursor
from quyche_rules.db.tracker_tables import (
    acts,
    case_facts,
    case_parties,
    cases,
    due_counts,
    records,
    targets,
)
from quyche_rules.engine.engine import Engine
from quyche_rules.tracker import CaseState, Tracker
from quyche_rules.tracker.writesql import record_sql

from .events import answer, disagreement, extension, request, withdrawal
from .pgserver import PgServer
from .test_one_duty import ANSWER, AS_OF, PERSONNEL, REQUEST

#: not a round second, and UTC: how SQLite keeps it is SQLAlchemy's text format
AT = dt.datetime(2025, 3, 3, 8, 30, 15, 123456, tzinfo=dt.UTC)

STREAM = [
    request("A", "2025-01-24"),
    request("B", "2025-01-27"),
    request("C", "2025-01-28", requester="ban_to_chuc_tinh_uy", requested="dang_uy_khoi"),
    request("D", "2025-02-03"),
    request("E", "2025-02-04", requested="hdnd_tinh"),
    answer("A", "2025-01-30"),
    extension("B", "2025-02-03", "2025-02-20"),
    disagreement("C", "2025-02-04", lead="dang_uy_khoi", others=("ban_to_chuc_tinh_uy",)),
    withdrawal("D", "2025-02-05"),
]


@pytest.fixture(params=["sqlite", "postgresql"])
def two_urls(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, str]:
    """Two fresh empty databases of each kind."""
    if request.param == "sqlite":
        return str(tmp_path / "a.db"), str(tmp_path / "b.db")
    server: PgServer = request.getfixturevalue("pg_server")
    return server.new_database(), server.new_database()


def _rows(t: Tracker) -> dict[str, list[tuple[Any, ...]]]:
    """Every table the record path writes, as SQLAlchemy reads it back."""
    with t.store.engine.connect() as conn:
        return {
            table.name: sorted(tuple(r) for r in conn.execute(sa.select(table)))
            for table in (records, cases, case_parties, targets, case_facts, acts, due_counts)
        }


def test_a_live_record_writes_what_the_batch_import_writes(
    two_urls: tuple[str, str], py_engine: Engine
) -> None:
    live_url, batch_url = two_urls
    with (
        Tracker(live_url, engine=py_engine, clock=lambda: AT) as live,
        Tracker(batch_url, engine=py_engine, clock=lambda: AT) as batch,
    ):
        for e in STREAM:
            live.record(e)
        batch.record_many(STREAM)
        written = _rows(live)
        assert written == _rows(batch)
        assert written["tracker_records"][0][-1] in (AT, AT.replace(tzinfo=None))
        assert len(written["tracker_cases"]) == 5 and written["tracker_due_counts"]
        live.store.rebuild_projection()
        assert _rows(live) == written


def test_acts_on_a_document_before_it_joined_a_case_count_on_both_databases(
    db_url: str, py_engine: Engine
) -> None:
    with Tracker(db_url, engine=py_engine) as t:
        t.record(PERSONNEL)
        t.record({**ANSWER, "date": "2025-03-05"})  # names the request not yet recorded
        assert t.record(REQUEST).joined
        (case,) = t.cases(as_of=AS_OF)
        assert case.state is CaseState.ANSWERED_ON_TIME
        before = t.store.projection()
        t.store.rebuild_projection()
        assert t.store.projection() == before


def test_a_driver_error_is_sqlalchemys_without_the_values(db_url: str, py_engine: Engine) -> None:
    with Tracker(db_url, engine=py_engine) as t:
        t.record(request("A", "2025-01-24"))  # record #1, for the case rows' foreign key
        row = {"case_id": "c-1", "record_seq": 1, "doc_key": "secret-doc-key", "rule_id": "r",
               "due": dt.date(2025, 1, 1)}  # fmt: skip
        with (
            pytest.raises(sa.exc.IntegrityError) as caught,
            t.store.engine.begin() as conn,
            DriverCursor.of(conn) as cur,
            cur.pipelined(),
        ):
            insert = record_sql(conn).cases
            cur.run(insert.sql, insert.rows([row])[0])
            cur.run(insert.sql, insert.rows([row])[0])  # the same case again
            cur.rows("SELECT 1")
        assert "secret-doc-key" not in str(caught.value)
        assert t.record(request("B", "2025-01-24")).created  # the database still works


def test_a_plain_request_is_a_few_statements(tmp_path: Path, py_engine: Engine) -> None:
    """Counted by SQLite itself (its trace of every statement run, whoever sends it): the
    transaction, the log row, the read of what its duty may join, the case's index row,
    its two parties and its facts, the marks' update and the count's upsert: ten (the
    document's look-up is its log row's INSERT, which inserts nothing for a repeat)."""
    with Tracker(tmp_path / "t.db", engine=py_engine) as t:
        t.record(request("A", "2025-01-24"))
        seen: list[str] = []
        with t.store.engine.connect() as conn:
            driver: Any = conn.connection.driver_connection
        driver.set_trace_callback(seen.append)  # the pool's one connection
        try:
            t.record(request("B", "2025-01-27"))
        finally:
            driver.set_trace_callback(None)
        statements = [s.split()[0] for s in seen if not s.startswith("PRAGMA")]
        assert statements[0] == "BEGIN" and statements[-1] == "COMMIT"  # this connection
        assert len(statements) <= 10, statements
