"""``/readyz``: can this instance serve a write now? Three checks, each named in the
answer so an operator sees which failed:

- ``database``: the database answers a query that reads the file (a corrupt SQLite file
  fails here, where ``SELECT 1`` would not even open it);
- ``write``: it commits a write. The write rewrites the migration version row with its
  own value (``tracker_alembic_version``, one row that always exists): a real page
  written and committed, so a read-only file, a full disk or a PostgreSQL in recovery
  fails it, and nothing anyone reads changes;
- ``disk``: for a SQLite file, the free space of its file system is above
  ``min_free_bytes`` (a disk about to fill makes every write fail; better to be taken
  out of the load balancer first). Not checked for PostgreSQL: its disk is not here.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from quyche_rules.db.connect import VERSION_TABLE
from quyche_rules.db.service_tables import api_keys

OK = "ok"


def _kind(exc: BaseException) -> str:
    return type(getattr(exc, "orig", None) or exc).__name__


def checks(engine: Engine, *, min_free_bytes: int) -> dict[str, str]:
    """Each check's name → ``"ok"`` or why it failed (one short line, no driver message:
    those can quote data)."""
    out: dict[str, str] = {}
    try:
        with engine.connect() as conn:
            conn.execute(sa.select(sa.func.count()).select_from(api_keys)).scalar_one()
        out["database"] = OK
    except sa.exc.SQLAlchemyError as exc:
        out["database"] = f"không trả lời / does not answer ({_kind(exc)})"
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(f"UPDATE {VERSION_TABLE} SET version_num = version_num"))
        out["write"] = OK
    except sa.exc.SQLAlchemyError as exc:
        out["write"] = f"không ghi được / does not accept a write ({_kind(exc)})"
    path = engine.url.database if engine.url.get_backend_name() == "sqlite" else None
    if path and path != ":memory:":
        try:
            free = shutil.disk_usage(Path(path).parent).free
        except OSError as exc:
            out["disk"] = f"không đọc được / cannot be read ({type(exc).__name__})"
        else:
            if free < min_free_bytes:
                out["disk"] = (
                    f"còn trống {free // 2**20} MiB < {min_free_bytes // 2**20} MiB / "
                    f"{free // 2**20} MiB free, below {min_free_bytes // 2**20} MiB"
                )
            else:
                out["disk"] = OK
    return out
