"""The decision log's append as a handful of pre-built SQL statements, run on the caller's
connection inside its transaction.

Appending a group of decisions is, on any database: (PostgreSQL) take the chain's advisory
lock; insert the decisions (one ``executemany``); read the chain's tip; insert one link per
decision (one ``executemany``); add the decisions to their keys' counts of the day (one
upsert with ``RETURNING`` per key and day, usually one). Built with SQLAlchemy's
expression language these statements cost far more CPU than the database does
(compilation, cache keys, parameter processing: about 1.9 ms of a 2.5 ms append), so
their text is written out here once per dialect and run on the driver's cursor of the
caller's connection (inside its SQLAlchemy transaction). A driver error is raised as
SQLAlchemy's (``IntegrityError``, ``OperationalError``…), as from any other statement,
without the statement's parameters (decisions may name people; errors reach logs).

What the chain hashes is what the database gives back (``delivery.audit``): the text
columns are stored as sent, and the timestamp as SQLAlchemy's SQLite ``DATETIME`` stores
it (the UTC wall time, read back naive and taken as UTC by ``chain_hash``) or, on
PostgreSQL, as an instant. So the row is hashed from the values bound, and ``audit
verify``, which reads the rows back through SQLAlchemy, finds the same hashes (the tests
of the chain check it on both databases).

The tip is read inside the writing transaction, after the lock (PostgreSQL's advisory
lock; SQLite's ``BEGIN IMMEDIATE``), so instances sharing one database extend one line.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import sqlalchemy as sa

from quyche_rules.db.cursor import DriverCursor
from quyche_rules.db.delivery_tables import GENESIS, chain, chain_hash
from quyche_rules.db.service_tables import decisions, key_days
from quyche_rules.delivery.audit import CHAIN_LOCK, DECISION


class Logged(Protocol):
    """What the log stores of one decision (``store.DecisionRecord``)."""

    @property
    def decision_id(self) -> str: ...
    @property
    def decided_at(self) -> dt.datetime: ...
    @property
    def kind(self) -> str: ...
    @property
    def key_id(self) -> str: ...
    @property
    def asked_by_party(self) -> str | None: ...


#: the columns of a decision row, in the order of the INSERT and of the hashed mapping
COLUMNS = (
    "decision_id",
    "decided_at",
    "kind",
    "key_id",
    "asked_by_party",
    "parties",
    "receipt",
    "input",
    "result",
)


@dataclass(frozen=True)
class Statements:
    """The SQL of one dialect."""

    lock: str | None
    insert_decisions: str
    tip: str
    insert_links: str
    count: str
    #: SQLite keeps timestamps as text (SQLAlchemy's format); PostgreSQL as instants
    text_times: bool


def _statements(dialect: str) -> Statements:
    mark = "?" if dialect == "sqlite" else "%s"
    links = ("seq", "kind", "decision_id", "detail", "prev_hash", "row_hash")
    kd = key_days.name
    return Statements(
        lock=None if dialect == "sqlite" else f"SELECT pg_advisory_xact_lock({CHAIN_LOCK})",
        insert_decisions=(
            f"INSERT INTO {decisions.name} ({', '.join(COLUMNS)}) "
            f"VALUES ({', '.join([mark] * len(COLUMNS))})"
        ),
        tip=f"SELECT seq, row_hash FROM {chain.name} ORDER BY seq DESC LIMIT 1",
        insert_links=(
            f"INSERT INTO {chain.name} ({', '.join(links)}) "
            f"VALUES ({', '.join([mark] * len(links))})"
        ),
        count=(
            f"INSERT INTO {kd} (key_id, day, decisions) VALUES ({mark}, {mark}, {mark}) "
            f"ON CONFLICT (key_id, day) DO UPDATE SET decisions = {kd}.decisions + "
            "excluded.decisions RETURNING decisions"
        ),
        text_times=dialect == "sqlite",
    )


_BY_DIALECT: dict[str, Statements] = {}


def statements(dialect: str) -> Statements:
    """The statements of ``dialect`` (``sqlite`` or ``postgresql``), built once."""
    got = _BY_DIALECT.get(dialect)
    if got is None:
        got = _BY_DIALECT[dialect] = _statements(dialect)
    return got


def sqlite_time(when: dt.datetime) -> str:
    """A timestamp as SQLAlchemy's SQLite ``DATETIME`` stores it: the wall time in UTC
    (the service's times are UTC; any other offset is converted first)."""
    if when.tzinfo is not None:
        when = when.astimezone(dt.UTC)
    return when.strftime("%Y-%m-%d %H:%M:%S.%f")


def append(
    driver: Any,
    dialect: sa.Dialect,
    recs: Sequence[Logged],
    texts: Sequence[tuple[str, str, str, str]],
    days: Sequence[dt.date],
) -> dict[tuple[str, dt.date], int]:
    """Insert and chain ``recs`` in the transaction open on ``driver`` (a driver's
    connection: the group commit's kept one, ``db.held``, or a SQLAlchemy connection's)
    and count them; returns each (key, day)'s count after this transaction. ``texts``:
    each record's parties, receipt, input and result as stored (JSON text); ``days``: the
    day each counts against."""
    with DriverCursor(driver, dialect) as cur:
        return _append(cur, statements(dialect.name), recs, texts, days)


def _append(
    cur: DriverCursor,
    sql: Statements,
    recs: Sequence[Logged],
    texts: Sequence[tuple[str, str, str, str]],
    days: Sequence[dt.date],
) -> dict[tuple[str, dt.date], int]:
    if sql.lock is not None:
        cur.run(sql.lock)
    rows: list[tuple[Any, ...]] = []
    hashed: list[dict[str, Any]] = []
    for r, (parties, receipt, inp, result) in zip(recs, texts, strict=True):
        if sql.text_times:
            bound: Any = sqlite_time(r.decided_at)
            back: Any = dt.datetime.fromisoformat(bound)  # read back naive (UTC)
        else:
            bound = back = r.decided_at
        rest = (r.kind, r.key_id, r.asked_by_party, parties, receipt, inp, result)
        rows.append((r.decision_id, bound, *rest))
        hashed.append(dict(zip(COLUMNS, (r.decision_id, back, *rest), strict=True)))
    cur.many(sql.insert_decisions, rows)
    tip = next(iter(cur.rows(sql.tip)), None)
    seq, prev = (0, GENESIS) if tip is None else (int(tip[0]), str(tip[1]))
    links: list[tuple[Any, ...]] = []
    for r, row in zip(recs, hashed, strict=True):
        seq += 1
        h = chain_hash(prev, seq, DECISION, "{}", row)
        links.append((seq, DECISION, r.decision_id, "{}", prev, h))
        prev = h
    cur.many(sql.insert_links, links)
    per: dict[tuple[str, dt.date], int] = {}
    for r, day in zip(recs, days, strict=True):
        per[(r.key_id, day)] = per.get((r.key_id, day), 0) + 1
    totals: dict[tuple[str, dt.date], int] = {}
    for (key_id, day), n in per.items():
        bound_day: Any = day.isoformat() if sql.text_times else day
        (got,) = cur.rows(sql.count, (key_id, bound_day, n))  # the upsert returns its row
        totals[(key_id, day)] = int(got[0])
    return totals
