"""Each case's marks, kept in the projection (``tracker_case_facts``, revision 0012):
``settled_on``, ``folded_from`` and ``lapses_to_consent``.

A case's state as of a date is folded from its acts (``model.fold_case``). A body's
status page must tell, among tens of thousands of cases, those no act has touched by that
date — where time alone put them (``model._lapse``) — from the others, and count the
former per group; probing every case's acts, or even reading every case's row, on every
request cost more than the whole target. The acts that matter fall in two kinds, each
applying to a case only from its opening on (event date, then sequence number, as
``fold_case`` steps):

* an answer or a withdrawal by the obligated body: from that day the case is answered or
  withdrawn, in no group of the status, whichever came first;
* a disagreement, a receipt correction, or an extension by the obligated body: their
  effect depends on order and party lists, so from that day the case is folded by
  ``fold_case``, the reference.

``settled_on`` is the first day an act of either kind reached the case, ``folded_from``
the first day of the second kind (None while none has). So the cases time alone placed as
of D are those with ``settled_on`` None or after D; those folded, ``folded_from`` by D. A
due date before the opening day (no event the rules accept gives one; the projection does
not assume it) makes the case folded from its opening, so that every case counted by time
alone has ``opened_on <= due``: one opened after D is then due after D too, and the cases
not yet opened on D are found in the "awaiting" range alone. ``lapses_to_consent`` is the
part of the classification no date changes — its rule reads silence as consent and its due
date is not provisional — so that, among the cases no act settled, awaiting and due soon
are ranges of due dates, and overdue and consent are ranges within each value of it: the
database counts index ranges instead of evaluating every case (``tracker.status_page``).

**Kept exact under concurrent writers.** The marks of a document's cases are recomputed
from the acts in the transaction of every record that opens a case on that document or acts
on it. On PostgreSQL two instances may record a request and its answer at once, each
unable to see the other's rows; so each record first takes a transaction lock per
document (``pg_advisory_xact_lock``), in one order, and recomputes after it: the second
of the two sees the first's committed rows. SQLite's writers are serialised already
(``BEGIN IMMEDIATE``). ``rebuild_projection`` recomputes every case's marks.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from quyche_rules.db.cursor import DriverCursor
from quyche_rules.db.tracker_tables import acts, case_facts, due_counts, targets
from quyche_rules.tracker.model import (
    ANSWERED,
    CORRECTED,
    DISAGREEMENT,
    EXTENSION,
    INHERITED_ACTS,
    WITHDRAWN,
)

_CHUNK = 500


def closing() -> Any:
    """An act that closes the case: an answer or a withdrawal by its obligated body (the
    only acts of those kinds that apply to it)."""
    f, a = case_facts, acts
    return sa.and_(a.c.kind.in_((ANSWERED, WITHDRAWN)), a.c.requested == f.c.obligated)


def ordered() -> Any:
    """An act only the fold decides: whether a disagreement applies depends on party
    lists, a receipt correction moves the due date back to the opening, and an extension
    by the obligated body moves it only while the case is still open (an order question)."""
    f, a = case_facts, acts
    return sa.or_(
        a.c.kind.in_((DISAGREEMENT, CORRECTED)),
        sa.and_(a.c.kind == EXTENSION, a.c.requested == f.c.obligated),
    )


def in_window() -> Any:
    """An act dated from the case's opening record on (event date, then sequence
    number): the acts ``fold_case`` steps on, whatever the date asked."""
    f, a = case_facts, acts
    return sa.or_(
        a.c.event_date > f.c.opened_on,
        sa.and_(a.c.event_date == f.c.opened_on, a.c.record_seq >= f.c.opened_seq),
    )


def _first(kinds: Any) -> Any:
    """The earliest day an act of ``kinds`` on the case's document reached the case."""
    t, a = targets, acts
    return (
        sa.select(sa.func.min(a.c.event_date))
        .select_from(t.join(a, a.c.record_seq == t.c.record_seq))
        .where(t.c.doc_key == case_facts.c.doc_key, in_window(), kinds)
        .scalar_subquery()
    )


def _update() -> Any:
    f = case_facts
    early = f.c.due < f.c.opened_on  # folded from its opening (see the module docstring)
    return sa.update(f).values(
        settled_on=sa.case((early, f.c.opened_on), else_=_first(sa.or_(closing(), ordered()))),
        folded_from=sa.case((early, f.c.opened_on), else_=_first(ordered())),
        lapses_to_consent=sa.case(
            (sa.and_(f.c.silence_means == "consent", f.c.due_provisional == sa.false()), True),
            else_=False,
        ),
    )


Tally = Counter[tuple[Any, Any, Any]]
"""Cases no act settled, per (obligated body, lapses to consent, due date), as the driver
gives them: they only go back to the database (``_move``)."""


@dataclass(frozen=True)
class _Statements:
    """The SQL ``mark_documents`` runs on the driver's cursor, for one dialect: written
    once, since SQLAlchemy's per-statement CPU was most of a live record's cost
    (``db.cursor``). ``update`` is ``_update()`` — the one definition, which the rebuild
    runs too — compiled with its constants inline."""

    lock: str | None
    tally: str
    update: str
    upsert: str
    drop: str


def _statements(dialect: sa.engine.Dialect) -> _Statements:
    f, dc = case_facts.name, due_counts.name
    mark = "?" if dialect.name == "sqlite" else "%s"
    update = str(_update().compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    return _Statements(
        # one statement, the locks taken in one order: no two writers wait for each other
        # in a circle over these locks
        lock=None
        if dialect.name == "sqlite"
        else (
            "SELECT count(pg_advisory_xact_lock(h)) FROM (SELECT hashtextextended(k, 20)"
            " AS h FROM unnest(CAST(%s AS text[])) AS k ORDER BY 1) AS s"
        ),
        tally=f"SELECT obligated, lapses_to_consent, due FROM {f} WHERE settled_on IS NULL AND ",
        update=f"{update} WHERE ",
        upsert=(
            f"INSERT INTO {dc} (obligated, lapses_to_consent, due, n) VALUES ({mark}, {mark}, "
            f"{mark}, {mark}) ON CONFLICT (obligated, lapses_to_consent, due) DO UPDATE SET "
            f"n = {dc}.n + excluded.n"
        ),
        drop=(
            f"DELETE FROM {dc} WHERE obligated = {mark} AND lapses_to_consent = {mark} AND "
            f"due = {mark} AND n = 0"
        ),
    )


_BY_DIALECT: dict[str, _Statements] = {}


def _sql(conn: Connection) -> _Statements:
    got = _BY_DIALECT.get(conn.dialect.name)
    if got is None:
        got = _BY_DIALECT[conn.dialect.name] = _statements(conn.dialect)
    return got


def _documents(dialect: str, keys: list[str]) -> Iterable[tuple[str, Any]]:
    """``doc_key`` among ``keys``: the condition and its parameters (PostgreSQL: one array;
    SQLite: chunks of markers, under its limit of bound variables)."""
    if dialect == "postgresql":
        yield "doc_key = ANY(%s)", (keys,)
        return
    for i in range(0, len(keys), _CHUNK):
        chunk = keys[i : i + _CHUNK]
        yield f"doc_key IN ({', '.join('?' * len(chunk))})", chunk


def mark_documents(conn: Connection, doc_keys: Iterable[str], fresh: Iterable[str] = ()) -> None:
    """Recompute the marks of the cases opened on these documents, inside the caller's
    (writing) transaction, after it wrote its rows — on PostgreSQL under a lock per
    document (see the module docstring) — and move ``tracker_due_counts`` by what
    changed. ``fresh``: documents this transaction recorded, whose cases (all opened
    now) are not counted yet, so nothing is read for them: a plain request costs two
    statements (three on PostgreSQL, with the lock)."""
    keys = sorted(set(doc_keys))
    if not keys:
        return
    sql, dialect = _sql(conn), conn.dialect.name
    new = set(fresh)
    delta: Tally = Counter()
    with DriverCursor.of(conn) as cur:
        if sql.lock is not None:
            cur.run(sql.lock, (keys,))
        counted = [k for k in keys if k not in new]
        if counted:  # the cases counted now, before their marks move
            for where, params in _documents(dialect, counted):
                for obligated, lapses, due in cur.rows(sql.tally + where, params):
                    delta[(obligated, bool(lapses), due)] -= 1
        for where, params in _documents(dialect, keys):
            returning = " RETURNING obligated, lapses_to_consent, due, settled_on"
            for obligated, lapses, due, settled_on in cur.rows(sql.update + where + returning,
                                                              params):  # fmt: skip
                if settled_on is None:
                    delta[(obligated, bool(lapses), due)] += 1
        _move(cur, sql, {k: n for k, n in delta.items() if n})


def _move(cur: DriverCursor, sql: _Statements, delta: dict[tuple[Any, Any, Any], int]) -> None:
    """Add ``delta`` to the counts, row by row in one order (two writers moving the same
    rows wait for each other, never in a circle); a count that falls to zero is removed,
    so the table holds what a rebuild would write. Only a count that went down can be
    zero (none is kept at zero)."""
    if not delta:
        return
    moved = sorted(delta.items())
    cur.many(sql.upsert, [(*key, n) for key, n in moved])
    fell = [key for key, n in moved if n < 0]
    if fell:
        cur.many(sql.drop, fell)


def mark_all(conn: Connection) -> None:
    """Recompute every case's marks and the counts (the rebuild, and revision 0012's
    backfill)."""
    f = case_facts
    conn.execute(_update())
    conn.execute(sa.delete(due_counts))
    conn.execute(
        due_counts.insert().from_select(
            ["obligated", "lapses_to_consent", "due", "n"],
            sa.select(f.c.obligated, f.c.lapses_to_consent, f.c.due, sa.func.count())
            .where(f.c.settled_on.is_(None))
            .group_by(f.c.obligated, f.c.lapses_to_consent, f.c.due),
        )
    )


def heir_acted(ended: Iterable[str], as_of: Any) -> Any:
    """A case owed by one of the ``ended`` bodies whose document has an act by ``as_of``
    naming another body as the requested one (an answer, an extension, a withdrawal).
    The marks above see only the obligated body's own acts, but a successor's act settles
    an ended body's case (``model._applies``, where the reading is written): a reader
    folds these instead of counting them (few: only the documents of ended bodies that
    another body acted on). Which successor held the business on which day is the
    profile's, read by the fold; this only finds the candidates."""
    f, t, a = case_facts, targets, acts
    names = sorted(set(ended))
    if not names:
        return sa.false()
    other = (
        sa.select(t.c.doc_key)
        .select_from(t.join(a, a.c.record_seq == t.c.record_seq))
        .where(
            t.c.doc_key == f.c.doc_key,
            a.c.kind.in_(sorted(INHERITED_ACTS)),
            a.c.requested != f.c.obligated,
            a.c.event_date <= as_of,
        )
    )
    return sa.and_(f.c.obligated.in_(names), sa.exists(other))
