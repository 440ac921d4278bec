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
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.engine import Engine as SAEngine
from sqlalchemy.exc import OperationalError, ProgrammingError

from quyche_rules.db.held import HeldConnection
from quyche_rules.db.service_tables import api_keys, decisions, key_days
from quyche_rules.errors import DatabaseError, QuycheError
from quyche_rules.service import logsql

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
        #: each (key, day)'s count as this process last read or committed it, and when
        #: (monotonic): the quota's pre-check reads it instead of the database
        self._counts: dict[tuple[str, dt.date], tuple[float, int]] = {}
        self._counts_lock = threading.Lock()
        #: the connection every ``append_decisions`` runs on, kept between transactions
        self._held = HeldConnection(self.engine)

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

    def append_decisions(
        self,
        recs: list[DecisionRecord],
        more: Callable[[], list[DecisionRecord]] | None = None,
    ) -> None:
        """Append decisions in one transaction: a batch is logged whole or not at all.
        ``more``: asked once the transaction has begun (on SQLite its ``BEGIN IMMEDIATE``
        holds the write lock), for decisions that arrived meanwhile (the group commit's
        late joiners), appended with ``recs``."""
        if not recs:
            return
        joined: list[DecisionRecord] | None = None
        dialect = self.engine.dialect

        def work(driver: Any) -> dict[tuple[str, dt.date], int]:
            nonlocal joined
            if joined is None:  # once: a transaction run again keeps its late joiners
                joined = [*recs, *more()] if more is not None else recs
            return self._insert(driver, dialect, joined)

        totals = self._held.transaction(work)
        self._saw(totals)  # committed: the quota's pre-check may count on it

    def insert_decisions(
        self, conn: Connection, recs: list[DecisionRecord]
    ) -> dict[tuple[str, dt.date], int]:
        """Insert and chain decisions in the caller's transaction (``POST /v1/track``
        logs its decision in the transaction that records the event), and add them to
        their keys' counts of the day: over ``daily_quota``, ``QuotaExceeded`` and the
        caller's transaction must roll back (the write serialises the counts, so the quota
        holds exactly whatever runs concurrently). Returns each (key, day)'s count as of
        this transaction; the statements are ``logsql``'s."""
        return self._insert(conn.connection.driver_connection, conn.dialect, recs)

    def _insert(
        self, driver: Any, dialect: sa.Dialect, recs: list[DecisionRecord]
    ) -> dict[tuple[str, dt.date], int]:
        """``insert_decisions`` on a driver's connection (a SQLAlchemy connection's, or
        the group commit's kept one): the texts, the days and the quota around
        ``logsql.append``."""
        if not recs:
            return {}
        texts = [
            (_dumps(list(r.parties)), _dumps(r.receipt), _dumps(r.input), _dumps(r.result))
            for r in recs
        ]
        days = [vietnam_day(r.decided_at) for r in recs]
        totals = logsql.append(driver, dialect, recs, texts, days)
        limit = self.daily_quota
        for (key_id, day), total in totals.items():
            if limit > 0 and total > limit:
                mine = sum(1 for r, d in zip(recs, days, strict=True)
                           if r.key_id == key_id and d == day)  # fmt: skip
                self._saw({(key_id, day): total - mine})  # what stays once rolled back
                raise QuotaExceeded(key_id, day, limit)
        return totals

    def _saw(self, totals: dict[tuple[str, dt.date], int]) -> None:
        now = time.monotonic()
        with self._counts_lock:
            if len(self._counts) > 10_000:  # bounded: days pass, keys come and go
                self._counts.clear()
            for k, n in totals.items():
                self._counts[k] = (now, n)

    def known_decisions_on(self, key_id: str, day: dt.date, max_age: float) -> int | None:
        """``decisions_on`` as this process last read or committed it, if that was less
        than ``max_age`` seconds ago; else None (read the database). It may count fewer
        than the database (another instance's decisions since), never more."""
        with self._counts_lock:
            hit = self._counts.get((key_id, day))
        if hit is None or time.monotonic() - hit[0] >= max_age:
            return None
        return hit[1]

    def decisions_on(self, key_id: str, day: dt.date) -> int:
        """How many decisions ``key_id`` stored on ``day`` (a day in Vietnam)."""
        with self.engine.connect() as conn:
            n = conn.execute(
                sa.select(key_days.c.decisions).where(
                    key_days.c.key_id == key_id, key_days.c.day == day
                )
            ).scalar_one_or_none()
        self._saw({(key_id, day): int(n or 0)})
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
