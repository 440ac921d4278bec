"""A key's rate limit shared by every worker and instance: one bucket per key in the
database (``service_rate_buckets``), taken in one statement.

The in-process ``auth.RateLimiter`` counts per worker process: behind a proxy with N
workers, or N instances on one PostgreSQL, a key would get N times its limit. Here the
bucket is the generic cell rate algorithm (GCRA, the token bucket written as one number):
each key's row holds its *theoretical arrival time* ``tat``; a request at ``now`` is
allowed when ``max(tat, now) + T - now <= burst * T`` (``T`` = seconds per request), and
then ``tat`` moves to ``max(tat, now) + T``. The check and the move are one
``INSERT … ON CONFLICT DO UPDATE … WHERE … RETURNING`` (PostgreSQL; SQLite ≥ 3.35 alike):
the row lock makes concurrent takes of one key count exactly, with no read-then-write race.

Cost: on PostgreSQL one round trip in autocommit on an ``UNLOGGED`` table (no WAL flush);
``benchmarks/bench_instances.py`` prints it. On SQLite each take is a write transaction
(the write lock, an fsync with ``synchronous=FULL``), so ``auto`` keeps SQLite on the
in-process limiter (docs/scaling.md).

Time is each instance's own clock (``time.time()``): instances must be NTP-synchronised;
a skew of ``s`` seconds lets a key through at most ``s / T`` requests early.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.engine import Engine as SAEngine

_PG = sa.text(
    "INSERT INTO service_rate_buckets AS b (key_id, tat) VALUES (:k, :now + :t) "
    "ON CONFLICT (key_id) DO UPDATE SET tat = GREATEST(b.tat, :now) + :t "
    "WHERE GREATEST(b.tat, :now) + :t - :now <= :tau RETURNING tat"
)
_SQLITE = sa.text(
    "INSERT INTO service_rate_buckets AS b (key_id, tat) VALUES (:k, :now + :t) "
    "ON CONFLICT (key_id) DO UPDATE SET tat = max(b.tat, :now) + :t "
    "WHERE max(b.tat, :now) + :t - :now <= :tau RETURNING tat"
)
_TAT = sa.text("SELECT tat FROM service_rate_buckets WHERE key_id = :k")


class DatabaseRateLimiter:
    """``rate`` requests per minute sustained, ``burst`` at once, per key id, counted in
    the database: the same interface as ``auth.RateLimiter``."""

    def __init__(
        self,
        engine: SAEngine,
        per_minute: int,
        burst: int,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.engine = engine
        self.rate = per_minute / 60.0
        self.burst = max(1, burst)
        self.clock = clock
        self._pg = engine.dialect.name == "postgresql"
        # PostgreSQL: autocommit, one round trip (no BEGIN/COMMIT around the statement)
        self._bind = engine.execution_options(isolation_level="AUTOCOMMIT") if self._pg else engine

    @property
    def enabled(self) -> bool:
        return self.rate > 0

    def take(self, key_id: str) -> float:
        """0.0 if the request may go on, else the seconds to wait before the next one."""
        if not self.enabled:
            return 0.0
        t = 1.0 / self.rate
        now = self.clock()
        args = {"k": key_id, "now": now, "t": t, "tau": self.burst * t}
        if self._pg:
            with self._bind.connect() as conn:
                row = conn.execute(_PG, args).first()
                if row is not None:
                    return 0.0
                tat = conn.execute(_TAT, {"k": key_id}).scalar_one_or_none()
        else:
            with self._bind.begin() as conn:
                row = conn.execute(_SQLITE, args).first()
                if row is not None:
                    return 0.0
                tat = conn.execute(_TAT, {"k": key_id}).scalar_one_or_none()
        # refused: the next request fits once ``tat`` is within the burst again
        wait = (tat or now) + t - now - self.burst * t
        return max(wait, t / 100)
