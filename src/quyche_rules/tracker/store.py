"""Durable storage of the tracker's log: SQLAlchemy Core on SQLite (default) or PostgreSQL.

The store persists and reads; it never decides a state (that is ``model.fold``). Its
tables, written together in ONE transaction per recorded event, so a writer killed at any
moment leaves either the whole record or nothing:

- ``tracker_records``: the append-only log — the event as JSON, the decision taken for it
  (duties, rulebook hash, engine version), who sent it, and ``doc_key`` (sender +
  reference), unique, which makes recording idempotent even between processes;
- ``tracker_cases`` / ``tracker_case_parties``: an index of the cases each record opened
  and the bodies party to them (derived from the record, never updated), so a query for
  one body reads only its own records;
- ``tracker_targets``: which documents a lifecycle event (answer, extension,
  disagreement, withdrawal) acts on;
- the *projection* the queries read (revision 0003): ``tracker_case_facts``, per case
  the facts its fold starts from (parties, reference, opening record and date, due,
  silence rule), and ``tracker_acts``, per acting record the facts of its event the fold
  reads (type, date, requested body, disagreeing parties, reply date). Derived, never a
  state: "as of" a date is still folded from these dates (``model.fold_case``, the same
  steps as ``model.fold`` of the log). Written in the record's own transaction, rebuilt
  from the log alone by ``rebuild_projection`` (migration 0003's backfill, and
  ``python -m quyche_rules.tracker.rebuild``). A status then costs one indexed statement
  over the body's cases, instead of decoding and folding every record behind them.

The tables are defined in ``db.tracker_tables`` and the database is opened and migrated by
``db.connect`` (shared with the HTTP service, whose tables live in ``db.service_tables``).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.exc import IntegrityError

from quyche_rules.db.connect import (
    make_engine,
    migrate,
)
from quyche_rules.db.cursor import DriverCursor
from quyche_rules.db.statistics import refresh_after
from quyche_rules.db.tracker_tables import (
    PROJECTION,
    SEP,
    acts,
    case_facts,
    case_parties,
    cases,
    due_counts,
    records,
    targets,
)
from quyche_rules.tracker.authority import CaseParties
from quyche_rules.tracker.marks import mark_documents
from quyche_rules.tracker.model import (
    RESTATED,
    Act,
    Case,
    DecidedDuty,
    Decision,
    Record,
    TrackerError,
    duty_digest,
    seed_case,
    sibling_keys,
)
from quyche_rules.tracker.rows import (
    NewRecord,
    act_rows,
    case_rows,
    fact_rows,
    party_rows,
    rebuild_projection,
    record_row,
    target_rows,
)
from quyche_rules.tracker.writesql import MARKS, record_sql, select_in

AppendHook = Callable[[Connection, Sequence[tuple[NewRecord, int]], dt.datetime], None]
"""Called inside the transaction that appends new records (connection, each new record with
its seq, recorded_at), once per transaction: what a layer above must write together with
the records — the delivery outbox — is written by it here, so one commit holds both or
neither. The tracker does not know what its hooks write."""

#: What a caller writes in a record's own transaction (connection, seq, created, the record
#: as written): the service's decision-log entry for ``POST /v1/track`` commits with the
#: record or not at all.
Also = Callable[[Connection, int, bool, NewRecord], None]


#: the projection's columns a fold does not read: the marks say which cases to fold
_MARKS = MARKS
#: the tables the status pages walk besides the cases' facts, analysed with them after a
#: large import (the log and the case index are read by key only: their statistics change
#: no plan, and the log's, with its JSON, cost the most to gather)
_TABLES = (case_parties, due_counts, acts, targets)


class _AlsoFailed(Exception):
    """An ``Also`` hook's integrity error, kept apart from the duplicate-document race
    that ``append`` retries."""

    def __init__(self, error: IntegrityError) -> None:
        super().__init__(str(error))
        self.error = error


#: A check a record must pass inside its writing transaction: it sees the recorded cases
#: the record acts on and refuses by raising (``tracker.authority.check_moves``).
Guard = Callable[[NewRecord, list[CaseParties]], None]


def _may_join(new: NewRecord, d: DecidedDuty) -> bool:
    """Whether a duty of ``new`` may be one already followed elsewhere (see ``joined``)."""
    return (
        new.reference is not None
        and duty_digest(d, new.reference) is not None
        and new.sender in (None, *d.counterparties, d.obligated)
    )


#: the earlier records of a batch by document, each with its place in the batch: a record
#: looks up only its own documents there (a scan of every earlier record was quadratic in
#: the size of an import)
Pending = Mapping[str, Sequence[tuple[int, NewRecord]]]


def index_pending(batch: Sequence[NewRecord]) -> dict[str, list[tuple[int, NewRecord]]]:
    """``Pending`` of ``batch``."""
    by_doc: dict[str, list[tuple[int, NewRecord]]] = {}
    for i, n in enumerate(batch):
        by_doc.setdefault(n.doc_key, []).append((i, n))
    return by_doc


def _standing_doc(
    new: NewRecord,
    d: DecidedDuty,
    pending: Pending,
    standing: dict[str, list[tuple[str, str | None]]],
) -> str | None:
    """The document whose case already follows duty ``d`` (None: it opens its own): an
    earlier record of the batch (the first in the batch), else a recorded case (the first
    opened)."""
    if not _may_join(new, d):
        return None
    assert new.reference is not None
    digest = duty_digest(d, new.reference)
    keys = sibling_keys(d, new.sender, new.reference)
    earlier = sorted(
        (x for k in dict.fromkeys(keys) for x in pending.get(k, ())), key=lambda x: x[0]
    )
    for _i, p in earlier:
        if any(duty_digest(pd, p.reference) == digest for _c, pd in p.cases):
            return p.doc_key
    for k in keys:
        if any(ob == d.obligated and dg == digest for ob, dg in standing.get(k, ())):
            return k
    return None


class Store:
    """The append-only log in a database. Thread-safe (one connection per call)."""

    def __init__(
        self,
        db: str | os.PathLike[str] | URL | Engine | None = None,
        *,
        on_append: Sequence[AppendHook] = (),
    ) -> None:
        self.engine = db if isinstance(db, Engine) else make_engine(db)
        self.on_append: list[AppendHook] = list(on_append)
        migrate(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def _tx(self) -> Iterator[Connection]:
        with self.engine.begin() as conn:
            yield conn

    @contextmanager
    def _read(self, conn: Connection | None = None) -> Iterator[Connection]:
        """A read: one snapshot, without SQLite's write lock; or, given ``conn``, inside
        that (writing) transaction, which sees what it wrote."""
        if conn is not None:
            yield conn
            return
        with self.engine.connect().execution_options(read_only=True) as read:
            yield read

    def append(
        self,
        new: NewRecord,
        recorded_at: dt.datetime,
        guard: Guard | None = None,
        also: Also | None = None,
    ) -> tuple[int, bool]:
        """Append one record with its cases, atomically; return (seq, created). The same
        document again is not a new record: identical content returns the first one,
        different content is refused (a silent overwrite would lose the first).
        ``guard`` sees the recorded cases the record acts on, read in the writing
        transaction (so no case opened meanwhile escapes it), and may refuse by raising.
        ``also`` writes what must commit with the record (the service's decision-log
        entry), in the same transaction, for a new record and for a repeat alike: if it
        fails, the record is not there either."""
        seq, created, _ = self.append_record(new, recorded_at, guard, also)
        return seq, created

    def append_record(
        self,
        new: NewRecord,
        recorded_at: dt.datetime,
        guard: Guard | None = None,
        also: Also | None = None,
    ) -> tuple[int, bool, NewRecord]:
        """``append``, also returning the record as written: a duty already followed as
        another document's case joins it instead of opening one (``joined``), and the acts
        on a document that joined a case reach that case too."""
        for _attempt in range(3):
            try:
                with self._tx() as conn:
                    # the log row first: it does not depend on what the record joins, and
                    # a document already recorded inserts nothing (then it is read)
                    sql = record_sql(conn)
                    with DriverCursor.of(conn) as cur:
                        row = sql.record.rows([record_row(new, recorded_at)])[0]
                        inserted = cur.rows(sql.record.sql, row)
                        found = [] if inserted else cur.rows(sql.find, (new.doc_key,))
                    if found:
                        seq, created = self._same(found[0][0], found[0][1], new), False
                    elif not inserted:
                        continue  # a concurrent writer's row, rolled back since: again
                    else:
                        seq, created = int(inserted[0][0]), True
                        new = self.joined(conn, new)
                        if guard is not None and new.targets:
                            guard(new, self.target_cases(conn, new.targets))
                        self._insert(conn, new, seq, recorded_at)
                    if also is not None:
                        try:
                            also(conn, seq, created, new)
                        except IntegrityError as exc:  # not a concurrent recording: no retry
                            raise _AlsoFailed(exc) from exc
                    return seq, created, new
            except _AlsoFailed as failed:
                raise failed.error from None
            except IntegrityError:
                continue  # a concurrent writer recorded the same document first: re-read
        raise TrackerError(f"{new.reference}: could not record (repeated conflicts)")

    # --- one duty, one case ---------------------------------------------------------------

    def joined(
        self, conn: Connection, new: NewRecord, pending: Sequence[NewRecord] = ()
    ) -> NewRecord:
        """The record as it is written: each duty already followed as a case of another
        document (the same ``duty_digest``; that document sent by no party, a
        counterparty or the obligated body, under the same reference) joins that case
        instead of opening one; and a record acting on a document that joined a case acts
        on that case's document too. ``pending``: records of the same batch, before it."""
        found = self._found(conn, [new])
        return self._join(new, index_pending(pending), *found)

    def _found(
        self, conn: Connection, batch: Sequence[NewRecord]
    ) -> tuple[dict[str, list[tuple[str, str | None]]], dict[str, list[str]]]:
        """What ``_join`` needs from the database for a whole batch, in a few statements:
        the recorded cases of the documents that may state the batch's duties (document →
        [(obligated, duty digest)], first opened first), and the documents whose cases the
        documents the batch acts on joined (document → [document])."""
        keys: list[str] = []
        for n in batch:
            for _c, d in n.cases:
                if _may_join(n, d):
                    assert n.reference is not None
                    keys += sibling_keys(d, n.sender, n.reference)
        standing: dict[str, list[tuple[str, str | None]]] = {}
        wanted = list(dict.fromkeys(keys))
        acting = list(dict.fromkeys(k for n in batch for k in n.targets))
        aliases: dict[str, list[str]] = {}
        if not wanted and not acting:
            return standing, aliases
        sql = record_sql(conn)
        with DriverCursor.of(conn) as cur:
            # per chunk in opening order (the first opened first): ``_standing_doc``
            for doc_key, rule_id, obligated, reference, decision in select_in(
                cur, sql, sql.standing, "f.doc_key", wanted
            ):
                for x in json.loads(decision):
                    if x["rule_id"] == rule_id and x["obligated"] == obligated:
                        digest = duty_digest(DecidedDuty.from_json(x), reference)
                        standing.setdefault(str(doc_key), []).append((str(obligated), digest))
                        break
            for own, other in select_in(cur, sql, sql.aliases, "r.doc_key", acting):
                if own != other:
                    aliases.setdefault(str(own), []).append(str(other))
        return standing, aliases

    @staticmethod
    def _join(
        new: NewRecord,
        pending: Pending,
        standing: dict[str, list[tuple[str, str | None]]],
        aliases: dict[str, list[str]],
    ) -> NewRecord:
        keep: list[tuple[str, DecidedDuty]] = []
        joins: list[str] = []
        again: Act | None = None
        for cid, d in new.cases:
            stands = _standing_doc(new, d, pending, standing)
            if stands is None:
                keep.append((cid, d))
            else:
                joins.append(stands)
                again = again or Act(0, new.event_date, RESTATED, d.obligated)
        alias: list[str] = []
        for k in new.targets:
            alias += [x for _i, p in pending.get(k, ()) for x in p.joins]
            alias += aliases.get(k, [])
        alias = [k for k in dict.fromkeys(alias) if k not in new.targets]
        if not joins and not alias:
            return new
        return replace(
            new,
            cases=tuple(keep),
            joins=tuple(dict.fromkeys(joins)),
            targets=tuple(dict.fromkeys((*new.targets, *alias))),
            restated=again if new.act is None else None,
        )

    def append_many(
        self, batch: Sequence[NewRecord], recorded_at: dt.datetime, guard: Guard | None = None
    ) -> list[tuple[int, bool]]:
        """Append a batch in ONE transaction (an import of a backlog): all or nothing,
        with the same idempotency as ``append`` — within the batch too. Rows go in with
        one multi-row INSERT per table (RETURNING the sequence numbers in order).
        ``guard`` as for ``append``, with the cases the batch itself opens too."""
        return [(seq, created) for seq, created, _ in self.append_many_records(
            batch, recorded_at, guard)]  # fmt: skip

    def append_many_records(
        self, batch: Sequence[NewRecord], recorded_at: dt.datetime, guard: Guard | None = None
    ) -> list[tuple[int, bool, NewRecord]]:
        """``append_many``, also returning each record as written (see ``joined``). A
        batch large against what the database knew of its tables has them analysed once
        committed (``db.statistics``: PostgreSQL), so the pages read right after an import
        are planned for it."""
        for _attempt in range(3):
            try:
                with self._tx() as conn:
                    written = self._joined_batch(conn, batch)
                    if guard is not None:
                        self._guard_batch(conn, written, guard)
                    done = self._append_many(conn, written, recorded_at)
                    out = [(s, c, n) for (s, c), n in zip(done, written, strict=True)]
            except IntegrityError:
                continue  # a concurrent writer recorded one of them first: re-read
            # the cases this batch wrote: a document recorded before opens none again
            opened = sum(len(n.cases) for _, created, n in out if created)
            refresh_after(self.engine, (case_facts, *_TABLES), opened)
            return out
        raise TrackerError("batch: could not record (repeated conflicts)")

    def _joined_batch(self, conn: Connection, batch: Sequence[NewRecord]) -> list[NewRecord]:
        """``joined`` for each record of a batch, in order, seeing the earlier ones; what
        the database holds is read once for the whole batch (``_found``)."""
        standing, aliases = self._found(conn, batch)
        out: list[NewRecord] = []
        pending: dict[str, list[tuple[int, NewRecord]]] = {}
        for i, n in enumerate(batch):
            written = self._join(n, pending, standing, aliases) if (n.cases or n.targets) else n
            out.append(written)
            pending.setdefault(written.doc_key, []).append((i, written))
        return out

    def _append_many(
        self, conn: Connection, batch: Sequence[NewRecord], recorded_at: dt.datetime
    ) -> list[tuple[int, bool]]:
        keys = list({n.doc_key for n in batch})
        known: dict[str, Any] = {}
        for i in range(0, len(keys), 500):
            q = sa.select(records.c.seq, records.c.event_json, records.c.doc_key)
            for found in conn.execute(q.where(records.c.doc_key.in_(keys[i : i + 500]))):
                known[found.doc_key] = found
        fresh: dict[str, NewRecord] = {}
        for new in batch:
            first = fresh.get(new.doc_key)
            if first is not None and first.event_json != new.event_json:
                raise TrackerError(
                    f"reference: {new.reference!r} from {new.sender} appears twice in the "
                    "batch with different content"
                )
            if new.doc_key not in known:
                fresh.setdefault(new.doc_key, new)
        seqs: dict[str, int] = {}
        if fresh:
            todo = list(fresh.values())
            result = conn.execute(
                records.insert().returning(records.c.seq, sort_by_parameter_order=True),
                [record_row(n, recorded_at) for n in todo],
            )
            seqs = {n.doc_key: int(seq) for n, seq in zip(todo, result.scalars(), strict=True)}
            case_batch = [r for n in todo for r in case_rows(n, seqs[n.doc_key])]
            party_batch = [r for n in todo for r in party_rows(n)]
            target_batch = [r for n in todo for r in target_rows(n, seqs[n.doc_key])]
            fact_batch = [r for n in todo for r in fact_rows(n, seqs[n.doc_key])]
            act_batch = [r for n in todo for r in act_rows(n, seqs[n.doc_key])]
            sql = record_sql(conn)
            with DriverCursor.of(conn) as cur:  # the live record's pre-built statements
                for stmt, rows_ in ((sql.cases, case_batch), (sql.parties, party_batch),
                                    (sql.targets, target_batch), (sql.facts, fact_batch),
                                    (sql.acts, act_batch)):  # fmt: skip
                    if rows_:
                        cur.many(stmt.sql, stmt.rows(rows_))
            # the marks of every case these records opened or act on (``marks``)
            mark_documents(
                conn,
                [r["doc_key"] for r in (*fact_batch, *target_batch)],
                fresh=[n.doc_key for n in todo],
            )
            for hook in self.on_append:
                hook(conn, [(n, seqs[n.doc_key]) for n in todo], recorded_at)
        out = []
        for new in batch:
            if new.doc_key in known:
                row = known[new.doc_key]
                out.append((self._same(row.seq, row.event_json, new), False))
            else:
                out.append((seqs[new.doc_key], new is fresh[new.doc_key]))
        return out

    def _guard_batch(self, conn: Connection, batch: Sequence[NewRecord], guard: Guard) -> None:
        acting = [n for n in batch if n.targets]
        if not acting:
            return
        by_key: dict[str, list[CaseParties]] = {}
        for n in batch:  # the cases the batch opens count as recorded
            for cid, d in n.cases:
                cp = CaseParties(cid, d.obligated, d.counterparties, n.sender or "-")
                by_key.setdefault(n.doc_key, []).append(cp)
        keys = list({k for n in acting for k in n.targets})
        for key, found in self._target_cases(conn, keys).items():
            by_key.setdefault(key, []).extend(found)
        for n in acting:
            guard(n, [c for k in dict.fromkeys(n.targets) for c in by_key.get(k, ())])

    def target_cases(self, conn: Connection, doc_keys: Sequence[str]) -> list[CaseParties]:
        """The parties of the recorded cases opened by these documents."""
        return [c for found in self._target_cases(conn, doc_keys).values() for c in found]

    @staticmethod
    def _target_cases(conn: Connection, doc_keys: Sequence[str]) -> dict[str, list[CaseParties]]:
        out: dict[str, list[CaseParties]] = {}
        keys = list(dict.fromkeys(doc_keys))
        sql = record_sql(conn)
        with DriverCursor.of(conn) as cur:
            for key, cid, obligated, cps, requester in select_in(
                cur, sql, sql.target_cases, "doc_key", keys
            ):
                cp = CaseParties(cid, obligated, tuple(cps.split(SEP)) if cps else (), requester)
                out.setdefault(key, []).append(cp)
        return out

    @staticmethod
    def _same(seq: Any, event_json: str, new: NewRecord) -> int:
        """The recorded document's sequence number, if it is the same event."""
        if event_json != new.event_json:
            raise TrackerError(
                f"reference: {new.reference!r} from {new.sender} is already recorded "
                f"(#{seq}) with different content; record a withdrawal or a new reference"
            )
        return int(seq)

    def _insert(self, conn: Connection, new: NewRecord, seq: int, recorded_at: dt.datetime) -> None:
        """The rows of a new record after its log row (number ``seq``), its cases' marks
        and the hooks'. The statements are pre-built (``writesql``); on PostgreSQL the
        inserts and the marks' lock and update go in one round trip (``pipelined``)."""
        extra: list[dict[str, Any]] = []
        if new.joins:  # acts recorded on this document before it joined: they count too
            earlier = conn.execute(
                sa.select(targets.c.record_seq).where(
                    targets.c.doc_key == new.doc_key, targets.c.record_seq != seq
                )
            ).scalars()
            have = {(int(r), k) for r, k in conn.execute(sa.select(targets.c.record_seq,
                    targets.c.doc_key).where(targets.c.doc_key.in_(list(new.joins))))}  # fmt: skip
            extra = [{"record_seq": int(r), "doc_key": k} for r in earlier for k in new.joins
                     if (int(r), k) not in have]  # fmt: skip
        sql = record_sql(conn)
        with DriverCursor.of(conn) as cur, cur.pipelined():
            if new.cases:
                cur.many(sql.cases.sql, sql.cases.rows(case_rows(new, seq)))
                cur.many(sql.parties.sql, sql.parties.rows(party_rows(new)))
                cur.many(sql.facts.sql, sql.facts.rows(fact_rows(new, seq)))
            if new.targets or new.joins:
                cur.many(sql.targets.sql, sql.targets.rows([*target_rows(new, seq), *extra]))
                done = act_rows(new, seq)
                if done:
                    cur.many(sql.acts.sql, sql.acts.rows(done))
            # the marks of the cases it opened and of those it acts on (``marks``)
            mark_documents(
                conn,
                [new.doc_key] * bool(new.cases) + [*new.targets, *new.joins],
                fresh=[new.doc_key],
            )
        for hook in self.on_append:
            hook(conn, [(new, seq)], recorded_at)

    # --- reading ----------------------------------------------------------------------------

    def load(
        self,
        *,
        party: str | None = None,
        case: str | None = None,
        as_of: dt.date | None = None,
        parse: Any,
    ) -> list[Record]:
        """The records the cases of ``party`` (or of one ``case``; or every case) depend
        on: the records that opened them and those acting on their documents. ``parse``
        turns stored event JSON back into an event model."""
        c = cases
        keys = sa.select(c.c.doc_key)
        opened = sa.select(c.c.record_seq)
        if party is not None:
            mine = sa.select(case_parties.c.case_id).where(case_parties.c.party == party)
            keys = keys.where(c.c.case_id.in_(mine))
            opened = opened.where(c.c.case_id.in_(mine))
        if case is not None:
            keys = keys.where(c.c.case_id == case)
            opened = opened.where(c.c.case_id == case)
        acting = sa.select(targets.c.record_seq).where(targets.c.doc_key.in_(keys))
        # a UNION, not "seq IN a OR seq IN b": both databases then use the indexes
        wanted = sa.union(opened, acting).subquery()
        q = sa.select(
            records.c.seq,
            records.c.event_json,
            records.c.decision_json,
            records.c.rulebook_hash,
            records.c.engine_version,
            records.c.sender,
        ).join(wanted, records.c.seq == wanted.c[0])
        if as_of is not None:
            q = q.where(records.c.event_date <= as_of)
        with self._read() as conn:
            rows = conn.execute(q.order_by(records.c.seq)).all()
        return [self._record(r, parse) for r in rows]

    def facts(
        self,
        *,
        party: str | None = None,
        case: str | None = None,
        as_of: dt.date,
        ids: Sequence[str] | None = None,
        conn: Connection | None = None,
    ) -> list[tuple[Case, list[Act]]]:
        """From the projection: each case of ``party`` (or the one ``case``, or those of
        ``ids``; or every case) opened by ``as_of``, as its record left it, with the acts
        on its document dated by ``as_of`` — what ``model.fold_case`` needs, and only
        that. ONE statement, so both databases answer from one snapshot of the log (with
        ``ids``, one per 500 ids, on ``conn`` when given: the caller's snapshot)."""
        if ids is not None:
            out: list[tuple[Case, list[Act]]] = []
            wanted = list(dict.fromkeys(ids))
            for i in range(0, len(wanted), 500):
                chunk = case_facts.c.case_id.in_(wanted[i : i + 500])
                out.extend(self._facts(as_of, chunk, conn))
            return out
        where: list[Any] = []
        if party is not None:
            mine = sa.select(case_parties.c.case_id).where(case_parties.c.party == party)
            where.append(case_facts.c.case_id.in_(mine))
        if case is not None:
            where.append(case_facts.c.case_id == case)
        return self._facts(as_of, sa.and_(sa.true(), *where), conn)

    def _facts(
        self, as_of: dt.date, where: Any, conn: Connection | None
    ) -> list[tuple[Case, list[Act]]]:
        f, a = case_facts, acts
        q = (
            sa.select(
                *(c for c in f.c if c.name not in _MARKS),  # what a seed is made of
                a.c.record_seq,
                a.c.kind,
                a.c.event_date,
                a.c.requested,
                a.c.parties,
                a.c.reply_by,
            )
            .select_from(
                f.outerjoin(targets, targets.c.doc_key == f.c.doc_key).outerjoin(
                    a, sa.and_(a.c.record_seq == targets.c.record_seq, a.c.event_date <= as_of)
                )
            )
            .where(f.c.opened_on <= as_of, where)
        )
        with self._read(conn) as reading:
            rows = reading.execute(q).all()
        out: dict[str, tuple[Case, list[Act]]] = {}
        for (cid, _doc, rule_id, obligated, cps, requester, reference, opened_seq, opened_on,
             opened_type, due, provisional, silence, summary, seq, kind, day, requested,
             parties, reply_by) in rows:  # fmt: skip
            got = out.get(cid)
            if got is None:
                seed = seed_case(
                    cid=cid,
                    rule_id=rule_id,
                    obligated=obligated,
                    counterparties=tuple(cps.split(SEP)) if cps else (),
                    requester=requester,
                    reference=reference,
                    opened_seq=int(opened_seq),
                    opened_on=opened_on,
                    opened_type=opened_type,
                    due=due,
                    due_provisional=bool(provisional),
                    silence_means=silence,
                    summary=summary,
                )
                got = out[cid] = (seed, [])
            if seq is not None:
                acted = tuple(parties.split(SEP)) if parties else ()
                got[1].append(Act(int(seq), day, kind, requested, acted, reply_by))
        return list(out.values())

    def events_of(self, seqs: Sequence[int], conn: Connection | None = None) -> dict[int, str]:
        """The stored event JSON of these records (by sequence number); with ``conn``, as
        that transaction sees them."""
        wanted = list(dict.fromkeys(seqs))
        out: dict[int, str] = {}
        with self._read(conn) as conn:
            for i in range(0, len(wanted), 500):
                q = sa.select(records.c.seq, records.c.event_json).where(
                    records.c.seq.in_(wanted[i : i + 500])
                )
                out.update((int(seq), str(js)) for seq, js in conn.execute(q))
        return out

    def rebuild_projection(self) -> int:
        """Recompute the projection from the log, in one transaction (see the module
        function); return the number of records read."""
        with self._tx() as conn:
            return rebuild_projection(conn)

    def projection(self) -> dict[str, list[tuple[Any, ...]]]:
        """The projection's rows, sorted (for audits and the tests comparing a rebuilt
        projection with the one written record by record)."""
        with self._read() as conn:
            return {
                t.name: sorted(tuple(r) for r in conn.execute(sa.select(t)).all())
                for t in (*PROJECTION, due_counts)  # the counts: derived like the rest
            }

    def all_records(self, parse: Any) -> list[Record]:
        """The whole log, in recording order (for audits and tests)."""
        with self._read() as conn:
            rows = conn.execute(
                sa.select(
                    records.c.seq,
                    records.c.event_json,
                    records.c.decision_json,
                    records.c.rulebook_hash,
                    records.c.engine_version,
                    records.c.sender,
                ).order_by(records.c.seq)
            ).all()
        return [self._record(r, parse) for r in rows]

    @staticmethod
    def _record(r: Any, parse: Any) -> Record:
        duties = tuple(DecidedDuty.from_json(d) for d in json.loads(r.decision_json))
        return Record(
            seq=int(r.seq),
            event=parse(json.loads(r.event_json)),
            decision=Decision(duties, r.rulebook_hash, r.engine_version),
            sender=r.sender,
        )

    def case_ids(self, prefix: str, conn: Connection | None = None) -> Sequence[str]:
        """The case ids starting with ``prefix`` (at most two: one means unambiguous). A
        whole id is looked up by its key first; only a shorter prefix scans the ids."""
        with self._read(conn) as conn:
            exact = conn.execute(
                sa.select(cases.c.case_id).where(cases.c.case_id == prefix)
            ).scalar_one_or_none()
            if exact is not None:
                return [exact]
            return list(
                conn.execute(
                    sa.select(cases.c.case_id).where(cases.c.case_id.startswith(prefix)).limit(2)
                ).scalars()
            )

    def document(self, doc_key: str) -> tuple[str, str, list[tuple[str, bool]]] | None:
        """A recorded document: its event type, its event JSON, and the cases it opened
        (id, whether the due date is provisional); None if it was never recorded."""
        with self._read() as conn:
            row = conn.execute(
                sa.select(records.c.event_type, records.c.event_json).where(
                    records.c.doc_key == doc_key
                )
            ).first()
            if row is None:
                return None
            opened = conn.execute(
                sa.select(case_facts.c.case_id, case_facts.c.due_provisional)
                .where(case_facts.c.doc_key == doc_key)
                .order_by(case_facts.c.case_id)
            ).all()
        return str(row.event_type), str(row.event_json), [(c, bool(p)) for c, p in opened]

    def cases_of(self, doc_keys: Sequence[str], conn: Connection | None = None) -> list[str]:
        """Ids of the recorded cases opened by these documents (what a live record
        answers: its statement pre-built, ``writesql``)."""
        keys = list(dict.fromkeys(doc_keys))
        with self._read(conn) as conn:
            sql = record_sql(conn)
            with DriverCursor.of(conn) as cur:
                return sorted(str(c) for (c,) in select_in(cur, sql, sql.cases_of, "doc_key", keys))

    def counts(self) -> dict[str, int]:
        with self._read() as conn:
            return {
                t.name: int(conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one())
                for t in (records, cases, case_parties, targets, *PROJECTION)
            }
