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
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.exc import IntegrityError

from quyche_rules.db.connect import (
    make_engine,
    migrate,
)
from quyche_rules.db.tracker_tables import (
    PROJECTION,
    SEP,
    acts,
    case_facts,
    case_parties,
    cases,
    records,
    targets,
)
from quyche_rules.tracker.authority import CaseParties
from quyche_rules.tracker.model import (
    Act,
    Case,
    DecidedDuty,
    Decision,
    Record,
    TrackerError,
    seed_case,
)
from quyche_rules.tracker.rows import (
    NewRecord,
    act_rows,
    case_rows,
    fact_rows,
    party_rows,
    rebuild_projection,
    record_row,
)

AppendHook = Callable[[Connection, Sequence[tuple[NewRecord, int]], dt.datetime], None]
"""Called inside the transaction that appends new records (connection, each new record with
its seq, recorded_at), once per transaction: what a layer above must write together with
the records — the delivery outbox — is written by it here, so one commit holds both or
neither. The tracker does not know what its hooks write."""

#: A check a record must pass inside its writing transaction: it sees the recorded cases
#: the record acts on and refuses by raising (``tracker.authority.check_moves``).
Guard = Callable[[NewRecord, list[CaseParties]], None]


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
    def _read(self) -> Iterator[Connection]:
        """A read: one snapshot, without SQLite's write lock."""
        with self.engine.connect().execution_options(read_only=True) as conn:
            yield conn

    def append(
        self, new: NewRecord, recorded_at: dt.datetime, guard: Guard | None = None
    ) -> tuple[int, bool]:
        """Append one record with its cases, atomically; return (seq, created). The same
        document again is not a new record: identical content returns the first one,
        different content is refused (a silent overwrite would lose the first).
        ``guard`` sees the recorded cases the record acts on, read in the writing
        transaction (so no case opened meanwhile escapes it), and may refuse by raising."""
        for _attempt in range(3):
            try:
                with self._tx() as conn:
                    row = conn.execute(
                        sa.select(records.c.seq, records.c.event_json).where(
                            records.c.doc_key == new.doc_key
                        )
                    ).first()
                    if row is not None:
                        return self._same(row, new), False
                    if guard is not None and new.targets:
                        guard(new, self.target_cases(conn, new.targets))
                    seq = self._insert(conn, new, recorded_at)
                    return seq, True
            except IntegrityError:
                continue  # a concurrent writer recorded the same document first: re-read
        raise TrackerError(f"{new.reference}: could not record (repeated conflicts)")

    def append_many(
        self, batch: Sequence[NewRecord], recorded_at: dt.datetime, guard: Guard | None = None
    ) -> list[tuple[int, bool]]:
        """Append a batch in ONE transaction (an import of a backlog): all or nothing,
        with the same idempotency as ``append`` — within the batch too. Rows go in with
        one multi-row INSERT per table (RETURNING the sequence numbers in order).
        ``guard`` as for ``append``, with the cases the batch itself opens too."""
        for _attempt in range(3):
            try:
                with self._tx() as conn:
                    if guard is not None:
                        self._guard_batch(conn, batch, guard)
                    return self._append_many(conn, batch, recorded_at)
            except IntegrityError:
                continue  # a concurrent writer recorded one of them first: re-read
        raise TrackerError("batch: could not record (repeated conflicts)")

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
            target_rows = [
                {"record_seq": seqs[n.doc_key], "doc_key": k}
                for n in todo
                for k in dict.fromkeys(n.targets)
            ]
            fact_batch = [r for n in todo for r in fact_rows(n, seqs[n.doc_key])]
            act_batch = [r for n in todo for r in act_rows(n, seqs[n.doc_key])]
            for table, rows_ in ((cases, case_batch), (case_parties, party_batch),
                                 (targets, target_rows), (case_facts, fact_batch),
                                 (acts, act_batch)):  # fmt: skip
                if rows_:
                    conn.execute(table.insert(), rows_)
            for hook in self.on_append:
                hook(conn, [(n, seqs[n.doc_key]) for n in todo], recorded_at)
        out = []
        for new in batch:
            if new.doc_key in known:
                out.append((self._same(known[new.doc_key], new), False))
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
        f = case_facts
        out: dict[str, list[CaseParties]] = {}
        keys = list(dict.fromkeys(doc_keys))
        for i in range(0, len(keys), 500):
            q = sa.select(f.c.doc_key, f.c.case_id, f.c.obligated, f.c.counterparties,
                          f.c.requester).where(f.c.doc_key.in_(keys[i : i + 500]))  # fmt: skip
            for key, cid, obligated, cps, requester in conn.execute(q):
                cp = CaseParties(cid, obligated, tuple(cps.split(SEP)) if cps else (), requester)
                out.setdefault(key, []).append(cp)
        return out

    @staticmethod
    def _same(row: Any, new: NewRecord) -> int:
        if row.event_json != new.event_json:
            raise TrackerError(
                f"reference: {new.reference!r} from {new.sender} is already recorded "
                f"(#{row.seq}) with different content; record a withdrawal or a new reference"
            )
        return int(row.seq)

    def _insert(self, conn: Connection, new: NewRecord, recorded_at: dt.datetime) -> int:
        seq = int(
            conn.execute(
                records.insert().returning(records.c.seq), record_row(new, recorded_at)
            ).scalar_one()
        )
        if new.cases:
            conn.execute(cases.insert(), case_rows(new, seq))
            conn.execute(case_parties.insert(), party_rows(new))
            conn.execute(case_facts.insert(), fact_rows(new, seq))
        if new.targets:
            conn.execute(
                targets.insert(),
                [{"record_seq": seq, "doc_key": k} for k in dict.fromkeys(new.targets)],
            )
            if new.act is not None:
                conn.execute(acts.insert(), act_rows(new, seq))
        for hook in self.on_append:
            hook(conn, [(new, seq)], recorded_at)
        return seq

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
        self, *, party: str | None = None, case: str | None = None, as_of: dt.date
    ) -> list[tuple[Case, list[Act]]]:
        """From the projection: each case of ``party`` (or the one ``case``; or every case)
        opened by ``as_of``, as its record left it, with the acts on its document dated
        by ``as_of`` — what ``model.fold_case`` needs, and only that. ONE statement, so
        both databases answer from one snapshot of the log."""
        f, a = case_facts, acts
        q = (
            sa.select(
                f,
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
            .where(f.c.opened_on <= as_of)
        )
        if party is not None:
            mine = sa.select(case_parties.c.case_id).where(case_parties.c.party == party)
            q = q.where(f.c.case_id.in_(mine))
        if case is not None:
            q = q.where(f.c.case_id == case)
        with self._read() as conn:
            rows = conn.execute(q).all()
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
                for t in PROJECTION
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

    def case_ids(self, prefix: str) -> Sequence[str]:
        """The case ids starting with ``prefix`` (at most two: one means unambiguous). A
        whole id is looked up by its key first; only a shorter prefix scans the ids."""
        with self._read() as conn:
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

    def cases_of(self, doc_keys: Sequence[str]) -> list[str]:
        """Ids of the recorded cases opened by these documents."""
        with self._read() as conn:
            return list(
                conn.execute(
                    sa.select(cases.c.case_id)
                    .where(cases.c.doc_key.in_(list(doc_keys)))
                    .order_by(cases.c.case_id)
                ).scalars()
            )

    def counts(self) -> dict[str, int]:
        with self._read() as conn:
            return {
                t.name: int(conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one())
                for t in (records, cases, case_parties, targets, *PROJECTION)
            }
