"""The service's own persistence: API keys (hashed) and the append-only decision log.

SQLAlchemy Core on a database URL, with a ``MetaData`` of its own and every table prefixed
``service_``, so that the service can share one database with the tracker (SQLite file by
default, PostgreSQL by URL) without either owning the other's tables. The tables are made
by the one Alembic chain in ``db/migrations`` (revision 0002 creates the tables of
``db.service_tables``), run by ``Store.create_tables``.

The log is append-only by construction: this module has no UPDATE or DELETE on
``service_decisions`` (only the retention policy, ``delivery.audit.prune``, deletes a
prefix, and leaves a chained record of it); each decision is chained by hash in its own
transaction (``delivery.audit``); a key is never deleted either, only marked revoked, so
that the key id recorded in old decisions still means something.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.engine import Engine as SAEngine
from sqlalchemy.exc import OperationalError, ProgrammingError

from quyche_rules.db.service_tables import api_keys, decisions, key_days
from quyche_rules.delivery.audit import append_links
from quyche_rules.errors import DatabaseError, QuycheError

#: No default of its own: ``None`` means the tracker's default database (``tracker.db`` in
#: the per-user data directory, see ``tracker.store.resolve_url``), so that ``quyche
#: serve`` and ``quyche track`` find the same file whatever the working directory.
DEFAULT_DB_URL: str | None = None


class StoreError(DatabaseError):
    """The database cannot be reached or used (a ``DatabaseError``: the CLI exits 1, a
    retry may fix it, when ``code`` is ``database_unavailable``)."""

    default_code = "database_error"


@dataclass(frozen=True)
class KeyRecord:
    key_id: str
    key_sha256: str
    party: str | None
    admin: bool
    label: str | None
    created_at: dt.datetime
    revoked_at: dt.datetime | None
    #: the profile the key answers under (its name, ``dak-lak``); None: the service's own
    profile: str | None = None


@dataclass(frozen=True)
class DecisionRecord:
    decision_id: str
    decided_at: dt.datetime
    kind: str
    key_id: str
    asked_by_party: str | None
    parties: tuple[str, ...]
    receipt: dict[str, Any]
    input: Any
    result: Any


class Dumped(str):
    """JSON text already in the log's form (sorted keys, compact, UTF-8): a value the
    caller serialised once, for the receipt's input hash, and the log stores as is."""

    __slots__ = ()


def _dumps(data: Any) -> str:
    if isinstance(data, Dumped):
        return str(data)
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


#: the day a decision counts against: Vietnam's (UTC+7 all year, no daylight saving since
#: 1975), where the bodies work and where the quota's day turns
VIETNAM = dt.timezone(dt.timedelta(hours=7), "Asia/Ho_Chi_Minh")


def vietnam_day(when: dt.datetime) -> dt.date:
    return when.astimezone(VIETNAM).date()


class QuotaExceeded(StoreError):
    """Storing these decisions would take a key over its daily quota: nothing of the
    transaction is kept."""

    default_code = "quota_exceeded"

    def __init__(self, key_id: str, day: dt.date, limit: int) -> None:
        super().__init__(f"quota: key {key_id} is over {limit} decisions on {day.isoformat()}")
        self.key_id, self.day, self.limit = key_id, day, limit


def _count(conn: Connection, recs: list[DecisionRecord], limit: int = 0) -> None:
    """Add ``recs`` to their keys' counts of the day, in the transaction that stores
    them (an upsert: the first decision of a key's day inserts its row). With ``limit``,
    a count that passes it raises ``QuotaExceeded`` and the transaction rolls back: the
    quota holds exactly, whatever runs concurrently (the write serialises the counts)."""
    per: dict[tuple[str, dt.date], int] = {}
    for r in recs:
        k = (r.key_id, vietnam_day(r.decided_at))
        per[k] = per.get(k, 0) + 1
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert
    else:
        from sqlalchemy.dialects.sqlite import insert as upsert  # type: ignore[assignment]
    stmt = upsert(key_days)
    stmt = stmt.on_conflict_do_update(
        index_elements=[key_days.c.key_id, key_days.c.day],
        set_={"decisions": key_days.c.decisions + stmt.excluded.decisions},
    )
    for (key_id, day), n in per.items():
        row = {"key_id": key_id, "day": day, "decisions": n}
        total = conn.execute(stmt.returning(key_days.c.decisions), row).scalar_one()
        if limit > 0 and int(total) > limit:
            raise QuotaExceeded(key_id, day, limit)


SQLITE_SYNC = ("full", "normal")


def make_engine(url: str | None, *, sqlite_sync: str = "full") -> SAEngine:
    """An SQLAlchemy engine; on SQLite, WAL (readers never wait for the writer) and a busy
    timeout instead of an immediate 'database is locked'.

    ``sqlite_sync="full"`` (default) fsyncs every commit, so an acknowledged decision
    survives a power cut; it costs a few milliseconds per decision (see the service
    benchmark). ``"normal"`` survives a killed process but may lose the last commits on a
    power cut or OS crash: a deliberate choice for an operator, never the default."""
    if sqlite_sync not in SQLITE_SYNC:
        raise StoreError(f"sqlite sync: {sqlite_sync!r} is not one of {', '.join(SQLITE_SYNC)}")
    from quyche_rules.db.connect import make_engine as tracker_engine
    from quyche_rules.db.connect import resolve_url

    try:
        # the tracker's reading of ``--db`` (a URL or a file path, ``postgresql://`` on
        # psycopg 3, None for the shared default file) and its engine: one database, one
        # set of SQLite settings for the tracker's tables and these
        return tracker_engine(resolve_url(url), sqlite_sync=sqlite_sync)
    except ImportError as exc:  # the URL names a driver that is not installed
        name = (getattr(exc, "name", None) or "").split(".")[0]
        hint = " (pip install 'quyche-rules[postgresql]')" if name == "psycopg" else ""
        raise StoreError(f"database URL: {exc}{hint}", code="missing_dependency") from None
    except sa.exc.ArgumentError as exc:
        raise StoreError(f"database URL: {exc}", code="invalid_database_url") from None
    except QuycheError as exc:
        raise StoreError(
            f"database URL: {str(exc).removeprefix('--db: ')}", code=exc.code
        ) from None


class Store:
    """Keys and decisions on one database."""

    def __init__(
        self, url: str | SAEngine | None = DEFAULT_DB_URL, *, sqlite_sync: str = "full"
    ) -> None:
        # an engine is shared with the tracker (``create_app``: one pool, one migration)
        self.engine = (
            url if isinstance(url, SAEngine) else make_engine(url, sqlite_sync=sqlite_sync)
        )
        #: decisions one key may store per day (Vietnam); 0: none (``service.quota``)
        self.daily_quota = 0

    def create_tables(self) -> None:
        """Bring the database to the newest schema: the tracker's Alembic migrations, which
        own every table of the shared database (``tracker_*`` and these ``service_*``, from
        revision 0002). Serialised between processes (several workers may start at once)
        by ``tracker.store.migrate``; on a migrated database it only reads the version."""
        from quyche_rules.db.connect import migrate

        try:
            # the tracker's engine: its SQLite ``BEGIN IMMEDIATE`` serialises the migration
            # between processes
            migrate(self.engine)
        except (OperationalError, ProgrammingError) as exc:
            code = (
                "database_unavailable" if isinstance(exc, OperationalError) else "database_refused"
            )
            raise StoreError(
                f"{self.safe_url}: cannot create tables ({exc.orig})", code=code
            ) from None

    @property
    def safe_url(self) -> str:
        """The URL without its password, for messages and logs."""
        return self.engine.url.render_as_string(hide_password=True)

    def ping(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.execute(sa.select(sa.func.count()).select_from(api_keys))
            return True
        except sa.exc.SQLAlchemyError:
            return False

    # --- keys -------------------------------------------------------------------------------

    def add_key(self, rec: KeyRecord) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                api_keys.insert().values(
                    key_id=rec.key_id,
                    key_sha256=rec.key_sha256,
                    party=rec.party,
                    admin=rec.admin,
                    label=rec.label,
                    created_at=rec.created_at,
                    revoked_at=rec.revoked_at,
                    profile=rec.profile,
                )
            )

    def get_key(self, key_id: str) -> KeyRecord | None:
        with self.engine.connect() as conn:
            row = conn.execute(api_keys.select().where(api_keys.c.key_id == key_id)).first()
        return None if row is None else KeyRecord(**row._asdict())

    def list_keys(self) -> list[KeyRecord]:
        with self.engine.connect() as conn:
            rows = conn.execute(api_keys.select().order_by(api_keys.c.created_at)).all()
        return [KeyRecord(**r._asdict()) for r in rows]

    def revoke_key(self, key_id: str, when: dt.datetime) -> bool:
        """Mark a key revoked; False if no such key or already revoked."""
        with self.engine.begin() as conn:
            res = conn.execute(
                api_keys.update()
                .where(api_keys.c.key_id == key_id, api_keys.c.revoked_at.is_(None))
                .values(revoked_at=when)
            )
        return res.rowcount == 1

    # --- decisions --------------------------------------------------------------------------

    def append_decisions(self, recs: list[DecisionRecord]) -> None:
        """Append decisions in one transaction: a batch is logged whole or not at all."""
        if not recs:
            return
        with self.engine.begin() as conn:
            self.insert_decisions(conn, recs)

    def insert_decisions(self, conn: Connection, recs: list[DecisionRecord]) -> None:
        """Insert and chain decisions in the caller's transaction (``POST /v1/track``
        logs its decision in the transaction that records the event)."""
        if recs:
            conn.execute(
                decisions.insert(),
                [
                    {
                        "decision_id": r.decision_id,
                        "decided_at": r.decided_at,
                        "kind": r.kind,
                        "key_id": r.key_id,
                        "asked_by_party": r.asked_by_party,
                        "parties": _dumps(list(r.parties)),
                        "receipt": _dumps(r.receipt),
                        "input": _dumps(r.input),
                        "result": _dumps(r.result),
                    }
                    for r in recs
                ],
            )
            # the tamper-evident chain, in the same transaction as the decisions it covers
            append_links(conn, [r.decision_id for r in recs])
            _count(conn, recs, self.daily_quota)

    def decisions_on(self, key_id: str, day: dt.date) -> int:
        """How many decisions ``key_id`` stored on ``day`` (a day in Vietnam)."""
        with self.engine.connect() as conn:
            n = conn.execute(
                sa.select(key_days.c.decisions).where(
                    key_days.c.key_id == key_id, key_days.c.day == day
                )
            ).scalar_one_or_none()
        return int(n or 0)

    def get_decision(self, decision_id: str) -> DecisionRecord | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                decisions.select().where(decisions.c.decision_id == decision_id)
            ).first()
        if row is None:
            return None
        d = row._asdict()
        return DecisionRecord(
            decision_id=d["decision_id"],
            decided_at=d["decided_at"],
            kind=d["kind"],
            key_id=d["key_id"],
            asked_by_party=d["asked_by_party"],
            parties=tuple(json.loads(d["parties"])),
            receipt=json.loads(d["receipt"]),
            input=json.loads(d["input"]),
            result=json.loads(d["result"]),
        )
