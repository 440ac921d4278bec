"""The service's own persistence: API keys (hashed) and the append-only decision log.

SQLAlchemy Core on a database URL, with a ``MetaData`` of its own and every table prefixed
``service_``, so that the service can share one database with the tracker (SQLite file by
default, PostgreSQL by URL) without either owning the other's tables. Tables are created
idempotently at start-up; once the tracker's Alembic migrations exist, they take these
tables over (``target_metadata`` lists both MetaData objects).

The log is append-only by construction: this module has no UPDATE or DELETE on
``service_decisions``; a key is never deleted either, only marked revoked, so that the
key id recorded in old decisions still means something.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine as SAEngine
from sqlalchemy.exc import OperationalError, ProgrammingError

from ..errors import QuycheError

DEFAULT_DB_URL = "sqlite:///quyche.db"

metadata = sa.MetaData()

api_keys = sa.Table(
    "service_api_keys",
    metadata,
    sa.Column("key_id", sa.String(16), primary_key=True),
    # sha256 of the whole key: keys are 256 random bits, so a slow hash buys nothing
    # and would cost every request
    sa.Column("key_sha256", sa.String(64), nullable=False),
    sa.Column("party", sa.String(100), nullable=True),
    sa.Column("admin", sa.Boolean, nullable=False, default=False),
    sa.Column("label", sa.String(200), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
)

decisions = sa.Table(
    "service_decisions",
    metadata,
    sa.Column("decision_id", sa.String(36), primary_key=True),
    sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("key_id", sa.String(16), nullable=False),
    sa.Column("asked_by_party", sa.String(100), nullable=True),
    # every party the input or the answer names: who may read the decision back
    sa.Column("parties", sa.Text, nullable=False),
    sa.Column("receipt", sa.Text, nullable=False),
    sa.Column("input", sa.Text, nullable=False),
    sa.Column("result", sa.Text, nullable=False),
)


class StoreError(QuycheError):
    """The database cannot be reached or used."""


@dataclass(frozen=True)
class KeyRecord:
    key_id: str
    key_sha256: str
    party: str | None
    admin: bool
    label: str | None
    created_at: dt.datetime
    revoked_at: dt.datetime | None


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


def _dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


SQLITE_SYNC = ("full", "normal")


def make_engine(url: str, *, sqlite_sync: str = "full") -> SAEngine:
    """An SQLAlchemy engine; on SQLite, WAL (readers never wait for the writer) and a busy
    timeout instead of an immediate 'database is locked'.

    ``sqlite_sync="full"`` (default) fsyncs every commit, so an acknowledged decision
    survives a power cut; it costs a few milliseconds per decision (see the service
    benchmark). ``"normal"`` survives a killed process but may lose the last commits on a
    power cut or OS crash: a deliberate choice for an operator, never the default."""
    if sqlite_sync not in SQLITE_SYNC:
        raise StoreError(f"sqlite sync: {sqlite_sync!r} is not one of {', '.join(SQLITE_SYNC)}")
    try:
        engine = sa.create_engine(url, future=True)
    except (sa.exc.ArgumentError, ImportError) as exc:
        raise StoreError(f"database URL: {exc}") from None
    if engine.dialect.name == "sqlite":

        @sa.event.listens_for(engine, "connect")
        def _pragmas(conn: Any, _record: Any) -> None:
            cur = conn.cursor()
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA synchronous={sqlite_sync.upper()}")
            cur.close()

    return engine


class Store:
    """Keys and decisions on one database."""

    def __init__(self, url: str = DEFAULT_DB_URL, *, sqlite_sync: str = "full") -> None:
        self.url = url
        self.engine = make_engine(url, sqlite_sync=sqlite_sync)

    def create_tables(self) -> None:
        """Create the ``service_`` tables if missing. Several workers may start at once:
        a lost race ('already exists') is retried once, then the tables are there."""
        for attempt in (1, 2):
            try:
                metadata.create_all(self.engine, checkfirst=True)
                return
            except (OperationalError, ProgrammingError) as exc:
                if attempt == 2 or "already exists" not in str(exc):
                    raise StoreError(
                        f"{self.safe_url}: cannot create tables ({exc.orig})"
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
