"""The statements one live record runs, written once per dialect and run on the driver's
cursor inside the record's transaction (``db.cursor``).

A live record (``Store.append``) is a handful of small indexed statements: look the
document up, read what its duties may join, insert its rows, mark its cases. Through
SQLAlchemy's expression language each cost about 0.1 ms of CPU, several times what
SQLite spends on it, which put a live record at five times the bare INSERT loop
(``benchmarks/bench_tracker.py``). The rows are the same dicts ``rows`` builds for every
path (the batch import and the rebuild write them through SQLAlchemy); each value is bound
as SQLAlchemy's type for its column binds it, so either path reads back the same.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from quyche_rules.db.cursor import Bind, DriverCursor, binder, marks
from quyche_rules.db.tracker_tables import (
    acts,
    case_facts,
    case_parties,
    cases,
    records,
    targets,
)
from quyche_rules.tracker.model import RESTATED

#: the projection's columns the record's rows leave to ``marks``
MARKS = frozenset({"settled_on", "folded_from", "lapses_to_consent"})

_CHUNK = 500  # SQLite's bound variables per statement stay well under its limit


@dataclass(frozen=True)
class Insert:
    """An INSERT of some of a table's columns, and how each value is bound."""

    sql: str
    columns: tuple[str, ...]
    binds: tuple[Bind | None, ...]  # None: the value as it is

    def rows(self, dicts: Iterable[dict[str, Any]]) -> list[tuple[Any, ...]]:
        cols = tuple(zip(self.columns, self.binds, strict=True))
        return [tuple(d[c] if b is None else b(d[c]) for c, b in cols) for d in dicts]


def _insert(conn: Connection, table: sa.Table, columns: Sequence[str], tail: str = "") -> Insert:
    binds = tuple(binder(conn, table.c[c]) for c in columns)
    sql = (
        f"INSERT INTO {table.name} ({', '.join(columns)}) "
        f"VALUES ({marks(conn.dialect.name, len(columns))}){tail}"
    )
    return Insert(sql, tuple(columns), binds)


@dataclass(frozen=True)
class RecordSQL:
    """The record path's statements on one dialect."""

    dialect: str
    find: str
    record: Insert
    cases: Insert
    parties: Insert
    facts: Insert
    targets: Insert
    acts: Insert
    standing: str
    aliases: str
    target_cases: str
    cases_of: str

    def where_in(self, keys: Sequence[str]) -> Iterator[tuple[str, Any]]:
        """A column among ``keys``, as ``{}`` to fill with the column's name: its SQL and
        its parameters (PostgreSQL: one array; SQLite: chunks of markers)."""
        if not keys:
            return
        if self.dialect == "postgresql":
            yield "{} = ANY(%s)", (list(keys),)
            return
        for i in range(0, len(keys), _CHUNK):
            chunk = list(keys[i : i + _CHUNK])
            yield "{} IN (" + marks("sqlite", len(chunk)) + ")", chunk


def _build(conn: Connection) -> RecordSQL:
    d = conn.dialect.name
    mark = marks(d, 1)
    f, r, t, a = case_facts.name, records.name, targets.name, acts.name
    record_cols = [c.name for c in records.c if c.name != "seq"]
    return RecordSQL(
        dialect=d,
        find=f"SELECT seq, event_json FROM {r} WHERE doc_key = {mark}",
        # a document already recorded inserts nothing (then ``find`` reads it): a new one
        # costs one statement, not a look-up and an insert
        record=_insert(
            conn, records, record_cols, " ON CONFLICT (doc_key) DO NOTHING RETURNING seq"
        ),
        cases=_insert(conn, cases, [c.name for c in cases.c]),
        parties=_insert(conn, case_parties, [c.name for c in case_parties.c]),
        # the columns the rows fill: the marks are computed after (``marks``)
        facts=_insert(conn, case_facts, [c.name for c in case_facts.c if c.name not in MARKS]),
        targets=_insert(conn, targets, [c.name for c in targets.c]),
        acts=_insert(conn, acts, [c.name for c in acts.c]),
        standing=(
            f"SELECT f.doc_key, f.rule_id, f.obligated, f.reference, r.decision_json "
            f"FROM {f} AS f JOIN {r} AS r ON r.seq = f.opened_seq WHERE "
            "{} ORDER BY f.opened_seq"
        ),
        aliases=(
            f"SELECT r.doc_key, t.doc_key FROM {t} AS t JOIN {r} AS r ON r.seq = t.record_seq "
            f"WHERE {{}} AND NOT EXISTS (SELECT 1 FROM {a} AS a WHERE a.record_seq = "
            f"t.record_seq AND a.kind != '{RESTATED}')"
        ),
        target_cases=(
            f"SELECT doc_key, case_id, obligated, counterparties, requester FROM {f} WHERE {{}}"
        ),
        cases_of=f"SELECT case_id FROM {cases.name} WHERE {{}}",
    )


_BY_DIALECT: dict[str, RecordSQL] = {}


def record_sql(conn: Connection) -> RecordSQL:
    """The statements of ``conn``'s dialect, built once."""
    got = _BY_DIALECT.get(conn.dialect.name)
    if got is None:
        got = _BY_DIALECT[conn.dialect.name] = _build(conn)
    return got


def select_in(
    cur: DriverCursor, sql: RecordSQL, statement: str, column: str, keys: Sequence[str]
) -> list[Any]:
    """The rows of ``statement`` (a ``{}`` where ``column`` among ``keys`` goes), in chunks."""
    out: list[Any] = []
    for where, params in sql.where_in(keys):
        out += cur.rows(statement.replace("{}", where.format(column)), params)
    return out
