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

Other modules (the HTTP service's decision log) add their tables to ``metadata`` and use
``make_engine``/``resolve_url`` so that one database holds both; their migrations can live
in their own Alembic directory with their own version table (ours is
``tracker_alembic_version``).

Concurrency: SQLite runs in WAL mode with ``synchronous=FULL``, a busy timeout, and every
transaction opened with ``BEGIN IMMEDIATE`` (the write lock is taken up front, so two
processes never deadlock on a lock upgrade); PostgreSQL relies on the unique key and
retries the read after a conflicting insert.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, IntegrityError

from .model import (
    Act,
    Case,
    DecidedDuty,
    Decision,
    Record,
    TrackerError,
    case_id,
    request_key,
    seed_case,
)

ENV_VAR = "QUYCHE_DB"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "tracker_alembic_version"
_PG_LOCK_KEY = 0x71756963686574  # advisory lock serialising migrations on PostgreSQL

metadata = sa.MetaData()

_SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # SQLite: rowid alias

records = sa.Table(
    "tracker_records",
    metadata,
    sa.Column("seq", _SEQ, primary_key=True, autoincrement=True),
    sa.Column("doc_key", sa.String(64), nullable=False, unique=True),
    sa.Column("event_type", sa.String(64), nullable=False),
    sa.Column("sender", sa.String(64), nullable=True),
    sa.Column("reference", sa.Text(), nullable=True),
    sa.Column("event_date", sa.Date(), nullable=False),
    sa.Column("event_json", sa.Text(), nullable=False),
    sa.Column("decision_json", sa.Text(), nullable=False),
    sa.Column("rulebook_hash", sa.String(64), nullable=False),
    sa.Column("engine_version", sa.String(100), nullable=False),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
)

cases = sa.Table(
    "tracker_cases",
    metadata,
    sa.Column("case_id", sa.String(32), primary_key=True),
    sa.Column("record_seq", _SEQ, sa.ForeignKey("tracker_records.seq"), nullable=False),
    sa.Column("doc_key", sa.String(64), nullable=False, index=True),
    sa.Column("rule_id", sa.String(100), nullable=False),
    sa.Column("due", sa.Date(), nullable=False),
)

case_parties = sa.Table(
    "tracker_case_parties",
    metadata,
    sa.Column("case_id", sa.String(32), sa.ForeignKey("tracker_cases.case_id"), primary_key=True),
    sa.Column("party", sa.String(64), primary_key=True),
    sa.Column("role", sa.String(16), primary_key=True),  # obligated | counterparty
    sa.Index("ix_tracker_case_parties_party_case", "party", "case_id"),
)

targets = sa.Table(
    "tracker_targets",
    metadata,
    sa.Column("record_seq", _SEQ, sa.ForeignKey("tracker_records.seq"), primary_key=True),
    sa.Column("doc_key", sa.String(64), primary_key=True),
    sa.Index("ix_tracker_targets_doc_key", "doc_key"),
)

# --- the projection: what each case's fold reads, derived from the log (revision 0003) ---

case_facts = sa.Table(
    "tracker_case_facts",
    metadata,
    sa.Column("case_id", sa.String(32), sa.ForeignKey("tracker_cases.case_id"), primary_key=True),
    sa.Column("doc_key", sa.String(64), nullable=False, index=True),
    sa.Column("rule_id", sa.String(100), nullable=False),
    sa.Column("obligated", sa.String(64), nullable=False),
    sa.Column("counterparties", sa.Text(), nullable=False),  # ids joined by SEP, in order
    sa.Column("requester", sa.String(64), nullable=False),
    sa.Column("reference", sa.Text(), nullable=False),
    sa.Column("opened_seq", _SEQ, nullable=False),
    sa.Column("opened_on", sa.Date(), nullable=False),
    sa.Column("opened_type", sa.String(64), nullable=False),
    sa.Column("due", sa.Date(), nullable=False),
    sa.Column("due_provisional", sa.Boolean(), nullable=False),
    sa.Column("silence_means", sa.String(32), nullable=True),
)

acts = sa.Table(
    "tracker_acts",
    metadata,
    sa.Column("record_seq", _SEQ, sa.ForeignKey("tracker_records.seq"), primary_key=True),
    sa.Column("kind", sa.String(64), nullable=False),
    sa.Column("event_date", sa.Date(), nullable=False),
    sa.Column("requested", sa.String(64), nullable=True),
    sa.Column("parties", sa.Text(), nullable=False),  # ids joined by SEP, lead first
    sa.Column("reply_by", sa.Date(), nullable=True),
)

SEP = " "  # party ids are ASCII identifiers: a space never occurs in one
PROJECTION = (case_facts, acts)


# --- URLs and engines -----------------------------------------------------------------------


def default_path() -> Path:
    """``tracker.db`` in the per-user data directory (``~/.local/share/quyche-rules`` on
    Linux): the same database whatever the current directory, unlike ``./quyche.db``."""
    import platformdirs

    return Path(platformdirs.user_data_dir("quyche-rules", appauthor=False)) / "tracker.db"


def resolve_url(db: str | os.PathLike[str] | None = None) -> URL:
    """The database to use: ``db`` (a URL or a file path), else ``$QUYCHE_DB``, else the
    default SQLite file. ``postgresql://`` URLs get the psycopg 3 driver."""
    raw = os.fspath(db) if db is not None else os.environ.get(ENV_VAR) or None
    if raw is None:
        path = default_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        return URL.create("sqlite", database=str(path))
    if raw == ":memory:":  # one private in-memory database (tests, throw-away use)
        return URL.create("sqlite", database=":memory:")
    if "://" not in raw:
        return URL.create("sqlite", database=str(Path(raw).expanduser().resolve()))
    try:
        url = make_url(raw)
    except ArgumentError:
        raise TrackerError(f"--db: not a database URL or path: {raw!r}") from None
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    if url.get_backend_name() not in ("sqlite", "postgresql"):
        raise TrackerError(f"--db: only sqlite and postgresql are supported, not {raw!r}")
    return url


def _sqlite_setup(engine: Engine, sqlite_sync: str = "full") -> None:
    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _rec: Any) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (below)
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA busy_timeout = 30000")
        cur.execute("PRAGMA journal_mode = WAL")
        # FULL (default): an acknowledged record survives power loss; the service's
        # ``--sqlite-sync normal`` trades that for speed, for the whole shared database
        cur.execute(f"PRAGMA synchronous = {sqlite_sync.upper()}")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.close()

    @sa.event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        # writers take the write lock at once (no upgrade deadlock between two writers);
        # reads (Store._read) begin deferred, so under WAL they wait for no writer
        read_only = conn.get_execution_options().get("read_only", False)
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def make_engine(
    db: str | os.PathLike[str] | URL | None = None, *, sqlite_sync: str = "full", **kwargs: Any
) -> Engine:
    """A SQLAlchemy engine for the tracker's database, with the settings its guarantees
    need (see the module docstring). Reusable by any module sharing the database."""
    url = db if isinstance(db, URL) else resolve_url(db)
    if url.get_backend_name() == "sqlite":
        if url.database in (None, "", ":memory:"):
            # every connection would see its own empty database: share one
            kwargs.setdefault("poolclass", sa.pool.StaticPool)
        else:
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(
            url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs
        )
        _sqlite_setup(engine, sqlite_sync)
        return engine
    return sa.create_engine(url, pool_pre_ping=True, **kwargs)


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision, serialised between processes (SQLite: the
    write lock of ``BEGIN IMMEDIATE``; PostgreSQL: an advisory transaction lock)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


# --- the log --------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewRecord:
    """A record ready to append: everything derived from the event before any I/O."""

    doc_key: str
    event_type: str
    sender: str | None
    reference: str | None
    event_date: dt.date
    event_json: str
    decision: Decision
    targets: tuple[str, ...]
    cases: tuple[tuple[str, DecidedDuty], ...]  # (case id, duty)
    act: Act | None = None  # when ``targets``: what the event does to them (seq unset)


def _record_row(new: NewRecord, recorded_at: dt.datetime) -> dict[str, Any]:
    return {
        "doc_key": new.doc_key,
        "event_type": new.event_type,
        "sender": new.sender,
        "reference": new.reference,
        "event_date": new.event_date,
        "event_json": new.event_json,
        "decision_json": _decision_json(new.decision),
        "rulebook_hash": new.decision.rulebook_hash,
        "engine_version": new.decision.engine_version,
        "recorded_at": recorded_at,
    }


def _case_rows(new: NewRecord, seq: int) -> list[dict[str, Any]]:
    return [
        {
            "case_id": cid,
            "record_seq": seq,
            "doc_key": new.doc_key,
            "rule_id": d.rule_id,
            "due": d.due,
        }
        for cid, d in new.cases
    ]


def _party_rows(new: NewRecord) -> list[dict[str, Any]]:
    return [
        {"case_id": cid, "party": p, "role": role}
        for cid, d in new.cases
        for role, ps in (("obligated", (d.obligated,)), ("counterparty", d.counterparties))
        for p in dict.fromkeys(ps)
    ]


def _fact_rows(new: NewRecord, seq: int) -> list[dict[str, Any]]:
    return [
        {
            "case_id": cid,
            "doc_key": new.doc_key,
            "rule_id": d.rule_id,
            "obligated": d.obligated,
            "counterparties": SEP.join(d.counterparties),
            "requester": new.sender or "-",
            "reference": new.reference,
            "opened_seq": seq,
            "opened_on": new.event_date,
            "opened_type": new.event_type,
            "due": d.due,
            "due_provisional": d.due_provisional,
            "silence_means": d.silence_means,
        }
        for cid, d in new.cases
    ]


def _act_rows(new: NewRecord, seq: int) -> list[dict[str, Any]]:
    a = new.act
    if a is None or not new.targets:
        return []
    return [
        {
            "record_seq": seq,
            "kind": a.kind,
            "event_date": a.date,
            "requested": a.requested,
            "parties": SEP.join(a.parties),
            "reply_by": a.reply_by,
        }
    ]


def projection_of(row: Any) -> NewRecord:
    """What a stored log row (``tracker_records`` columns) contributes to the projection,
    from its stored JSON alone — no rulebook, no engine, no event model — so that any
    database can be rebuilt, and a migration backfill it, whatever the code's events."""
    ev = json.loads(row.event_json)
    duties = tuple(DecidedDuty.from_json(d) for d in json.loads(row.decision_json))
    reference = row.reference
    with_due = [d for d in duties if d.due is not None] if reference is not None else []
    act = None
    tkeys: tuple[str, ...] = ()
    if ev.get("in_reply_to") is not None:
        kind = str(ev["type"])
        ref = ev["in_reply_to"]
        day = dt.date.fromisoformat(ev["date"])
        if kind == "coordination_disagreement":
            parties = tuple(dict.fromkeys([ev["lead_party"], *ev.get("other_parties", [])]))
            act = Act(0, day, kind, None, parties)
            tkeys = tuple(request_key(p, ref) for p in parties)
        else:
            reply = ev.get("reply_by") if kind == "coordination_extension_needed" else None
            act = Act(0, day, kind, ev.get("requested"), (),
                      dt.date.fromisoformat(reply) if reply else None)  # fmt: skip
            tkeys = (request_key(ev.get("requester"), ref),)
    return NewRecord(
        doc_key=row.doc_key,
        event_type=row.event_type,
        sender=row.sender,
        reference=reference,
        event_date=_day(row.event_date),
        event_json=row.event_json,
        decision=Decision(duties, row.rulebook_hash, row.engine_version),
        targets=tkeys,
        cases=tuple((case_id(row.sender, reference, d.rule_id, d.obligated), d) for d in with_due),
        act=act,
    )


def _day(v: Any) -> dt.date:
    return v if isinstance(v, dt.date) else dt.date.fromisoformat(str(v))


def rebuild_projection(conn: Connection) -> int:
    """Recompute the projection (``case_facts``, ``acts``) from the log alone, inside the
    caller's transaction; return the number of records read. Used by migration 0003 as
    its backfill and by ``python -m quyche_rules.tracker.rebuild``."""
    for table in reversed(PROJECTION):
        conn.execute(sa.delete(table))
    n = 0
    last = 0
    while True:  # in chunks: a large log never sits whole in memory
        rows = conn.execute(
            sa.select(records).where(records.c.seq > last).order_by(records.c.seq).limit(2000)
        ).all()
        if not rows:
            return n
        facts: list[dict[str, Any]] = []
        done: list[dict[str, Any]] = []
        for row in rows:
            new = projection_of(row)
            facts += _fact_rows(new, int(row.seq))
            done += _act_rows(new, int(row.seq))
        for table, rows_ in ((case_facts, facts), (acts, done)):
            if rows_:
                conn.execute(table.insert(), rows_)
        n += len(rows)
        last = int(rows[-1].seq)


def _decision_json(d: Decision) -> str:
    return json.dumps([x.to_json() for x in d.duties], ensure_ascii=False, sort_keys=True)


class Store:
    """The append-only log in a database. Thread-safe (one connection per call)."""

    def __init__(self, db: str | os.PathLike[str] | URL | Engine | None = None) -> None:
        self.engine = db if isinstance(db, Engine) else make_engine(db)
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

    def append(self, new: NewRecord, recorded_at: dt.datetime) -> tuple[int, bool]:
        """Append one record with its cases, atomically; return (seq, created). The same
        document again is not a new record: identical content returns the first one,
        different content is refused (a silent overwrite would lose the first)."""
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
                    seq = self._insert(conn, new, recorded_at)
                    return seq, True
            except IntegrityError:
                continue  # a concurrent writer recorded the same document first: re-read
        raise TrackerError(f"{new.reference}: could not record (repeated conflicts)")

    def append_many(
        self, batch: Sequence[NewRecord], recorded_at: dt.datetime
    ) -> list[tuple[int, bool]]:
        """Append a batch in ONE transaction (an import of a backlog): all or nothing,
        with the same idempotency as ``append`` — within the batch too. Rows go in with
        one multi-row INSERT per table (RETURNING the sequence numbers in order)."""
        for _attempt in range(3):
            try:
                with self._tx() as conn:
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
                [_record_row(n, recorded_at) for n in todo],
            )
            seqs = {n.doc_key: int(seq) for n, seq in zip(todo, result.scalars(), strict=True)}
            case_rows = [r for n in todo for r in _case_rows(n, seqs[n.doc_key])]
            party_rows = [r for n in todo for r in _party_rows(n)]
            target_rows = [
                {"record_seq": seqs[n.doc_key], "doc_key": k}
                for n in todo
                for k in dict.fromkeys(n.targets)
            ]
            fact_rows = [r for n in todo for r in _fact_rows(n, seqs[n.doc_key])]
            act_rows = [r for n in todo for r in _act_rows(n, seqs[n.doc_key])]
            for table, rows_ in ((cases, case_rows), (case_parties, party_rows),
                                 (targets, target_rows), (case_facts, fact_rows),
                                 (acts, act_rows)):  # fmt: skip
                if rows_:
                    conn.execute(table.insert(), rows_)
        out = []
        for new in batch:
            if new.doc_key in known:
                out.append((self._same(known[new.doc_key], new), False))
            else:
                out.append((seqs[new.doc_key], new is fresh[new.doc_key]))
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
                records.insert().returning(records.c.seq), _record_row(new, recorded_at)
            ).scalar_one()
        )
        if new.cases:
            conn.execute(cases.insert(), _case_rows(new, seq))
            conn.execute(case_parties.insert(), _party_rows(new))
            conn.execute(case_facts.insert(), _fact_rows(new, seq))
        if new.targets:
            conn.execute(
                targets.insert(),
                [{"record_seq": seq, "doc_key": k} for k in dict.fromkeys(new.targets)],
            )
            if new.act is not None:
                conn.execute(acts.insert(), _act_rows(new, seq))
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
             opened_type, due, provisional, silence, seq, kind, day, requested, parties,
             reply_by) in rows:  # fmt: skip
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
