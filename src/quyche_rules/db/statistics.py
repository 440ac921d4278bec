"""PostgreSQL's statistics refreshed right after a bulk write, not a minute later.

PostgreSQL plans the status page's statements from its statistics of the tables.
autovacuum refreshes them once about a tenth of a table has changed, at its next round (a
minute apart by default); a page read between a large import and that round is planned
from the statistics of the table as it was before. Measured: for a body owed 22,000
freshly imported cases as a counterparty, the first page took 200 ms with a case-by-case
nested loop, against 47 ms once the tables were analysed (``docs/scaling.md``). So a bulk
write that adds as many rows as autovacuum waits for runs ``ANALYZE`` itself, once
committed.

SQLite is left alone: without ``ANALYZE`` its planner goes by the indexes, which is what
the statements here are written for, and statistics gathered once would then steer it
for good.

``ANALYZE`` takes a lock that lets reads and writes go on. PostgreSQL skips a table whose
owner is another role, with a warning. Any failure is logged and the write stands: its
rows are committed, only the plans wait for autovacuum.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Engine

log = logging.getLogger(__name__)

#: autovacuum's defaults (``autovacuum_analyze_threshold``, ``…_scale_factor``): a write
#: of more rows than this, plus this share of the rows the statistics knew, is analysed
THRESHOLD = 50
SHARE = 0.1


def refresh_after(engine: Engine, tables: Sequence[sa.Table], added: int) -> bool:
    """``ANALYZE`` ``tables`` (PostgreSQL) when ``added`` rows went into the first of them
    and that is more than autovacuum would let pass; returns whether it ran."""
    if engine.dialect.name != "postgresql" or added <= THRESHOLD or not tables:
        return False
    try:
        with engine.connect() as conn:
            known = conn.execute(
                sa.text("SELECT reltuples FROM pg_class WHERE oid = to_regclass(:name)"),
                {"name": tables[0].name},
            ).scalar()
            # -1: never analysed (PostgreSQL 14 on); None: no such table
            if known is not None and known >= 0 and added <= THRESHOLD + SHARE * known:
                return False
            names = ", ".join(engine.dialect.identifier_preparer.quote(t.name) for t in tables)
            conn.execute(sa.text(f"ANALYZE {names}"))
            conn.commit()
            return True
    except sa.exc.DBAPIError as exc:
        log.warning("statistics: ANALYZE after a bulk write failed (%s)", type(exc.orig).__name__)
        return False
