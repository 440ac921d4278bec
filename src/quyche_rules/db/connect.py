"""Naming, opening and migrating the one database the tracker and the service share.

SQLite (default, a file in the per-user data directory) or PostgreSQL by URL (psycopg 3).
SQLite runs in WAL mode with ``synchronous=FULL``, a busy timeout, and every writing
transaction opened with ``BEGIN IMMEDIATE`` (the write lock is taken up front, so two
processes never deadlock on a lock upgrade); reads begin deferred. Migrations are
serialised between processes (SQLite: the write lock; PostgreSQL: an advisory lock).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError

from quyche_rules.errors import DatabaseError, missing_extra

ENV_VAR = "QUYCHE_DB"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "tracker_alembic_version"
_PG_LOCK_KEY = 0x71756963686574  # advisory lock serialising migrations on PostgreSQL

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
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        return URL.create("sqlite", database=str(path))
    if raw == ":memory:":  # one private in-memory database (tests, throw-away use)
        return URL.create("sqlite", database=":memory:")
    if "://" not in raw:
        return URL.create("sqlite", database=str(Path(raw).expanduser().resolve()))
    try:
        url = make_url(raw)
    except ArgumentError:
        raise DatabaseError(
            f"--db: not a database URL or path: {raw!r}", code="invalid_database_url"
        ) from None
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    if url.get_backend_name() not in ("sqlite", "postgresql"):
        raise DatabaseError(
            f"--db: only sqlite and postgresql are supported, not {raw!r}",
            code="invalid_database_url",
        )
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


#: how long a zero-length database file may stay so before it is an error: another process
#: may have just created it (``sqlite_file``) and be about to write its header
_EMPTY_GRACE_SECONDS = 1.0


def sqlite_file(path: Path) -> None:
    """Make sure ``path`` can be opened as the SQLite database, privately.

    A new file is created here, 0600 (owner only), in a directory created 0700 — never
    left to the caller's umask: the database holds the decision log (which can name
    people) and the key hashes. SQLite gives its ``-wal`` and ``-shm`` files the mode of
    the database file, so they are 0600 too. An existing file of zero bytes is refused:
    SQLite would silently start a new, empty database on it (a truncated copy, a failed
    restore), and the records the operator expects would seem to have vanished."""
    if path.exists():
        deadline = time.monotonic() + _EMPTY_GRACE_SECONDS
        while path.is_file() and path.stat().st_size == 0:
            if time.monotonic() > deadline:
                raise DatabaseError(
                    f"--db: {path}: tệp rỗng (0 byte), không phải cơ sở dữ liệu; xoá tệp để "
                    "tạo mới / zero-length file, not a database; remove it to start a new one",
                    code="invalid_database_file",  # fix the file: no retry helps
                )
            time.sleep(0.05)
        return
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:  # another process created it first: it is theirs to fill
        pass
    except OSError as exc:
        raise DatabaseError(
            f"--db: {path}: cannot create ({exc.strerror})", code="invalid_database_file"
        ) from None


def insecure_permissions(url: URL) -> str | None:
    """Why the SQLite file of ``url`` (or its ``-wal``/``-shm``) is readable or writable by
    other users than its owner, or None (also for PostgreSQL, whose files are not here)."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    base = Path(str(url.database))
    for f in (base, Path(f"{base}-wal"), Path(f"{base}-shm")):
        try:
            mode = f.stat().st_mode & 0o777
        except FileNotFoundError:
            continue
        if mode & 0o007:
            return (
                f"{f} có quyền {mode:o}, người dùng khác truy cập được / is mode {mode:o}: "
                "other users can read it"
            )
    return None


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
            sqlite_file(Path(url.database))
        engine = sa.create_engine(
            url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs
        )
        _sqlite_setup(engine, sqlite_sync)
        return engine
    try:
        return sa.create_engine(url, pool_pre_ping=True, **kwargs)
    except ModuleNotFoundError as exc:  # the driver: "install quyche-rules[postgresql]"
        err = missing_extra(exc)
        if err is None:
            raise
        raise err from None


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
