"""Two ``quyche serve`` instances side by side on one throw-away PostgreSQL, under 8
clients for 60 s (``--seconds``): what a deployment behind a proxy must get right.

Printed (never asserted; ``tests/service/test_instances.py`` runs the same load for 6 s
and asserts the zeros):
  * requests answered, requests/s over both instances;
  * lost decisions: decision ids answered to a client and absent from the log;
  * duplicate tracker records: documents recorded more than once although each was sent
    to both instances at the same moment;
  * error responses (anything but 200, and transport errors);
  * the cost of a shared rate limit: one take of the database bucket (PostgreSQL, one
    upsert in autocommit on an UNLOGGED table) against the in-process bucket, and against
    the median request of the load, same run.

Run: ``.venv/bin/python benchmarks/bench_instances.py [--seconds 60] [--clients 8]``
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from quyche_rules.service.auth import RateLimiter, new_key
from quyche_rules.service.ratelimit import DatabaseRateLimiter
from quyche_rules.service.store import Store
from tests.service.instances import audit, instances, run_load
from tests.tracker.pgserver import PgServer, find_bindir


def take_us(limiter: RateLimiter | DatabaseRateLimiter, n: int) -> float:
    """Median microseconds of one take, over ``n`` keys × 1 (a fresh row) and again."""
    times = []
    for i in range(n):
        t = time.perf_counter()
        limiter.take(f"{i % 64:08x}")
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1e6


def round_trip(store: Store) -> float:
    t = time.perf_counter()
    with store.engine.connect() as conn:
        conn.execute(sa.text("SELECT 1"))
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--clients", type=int, default=8)
    args = ap.parse_args()
    bindir = find_bindir()
    if bindir is None:
        sys.exit("PostgreSQL >= 15 is missing (initdb, pg_ctl): scripts/setup-system")
    pg = PgServer(bindir, fsync=True)
    try:
        url = pg.new_database()
        print(f"two instances, one PostgreSQL, {args.clients} clients, {args.seconds:.0f} s")
        with instances(url, 2) as bases:
            store = Store(url)
            key, _ = new_key(store, party=None, admin=True)
            t = time.perf_counter()
            load = run_load(bases, key, clients=args.clients, seconds=args.seconds, tag="bench")
            elapsed = time.perf_counter() - t
        lost, duplicates = audit(url, load, "bench")
        print(f"  requests answered          {load.requests:8d}  ({load.requests / elapsed:.0f}/s)")
        print(f"  tracker documents raced    {len(load.documents):8d}")
        print(f"  lost decisions             {lost:8d}")
        print(f"  duplicate tracker records  {duplicates:8d}")
        print(f"  error responses            {len(load.errors):8d}")
        for e in load.errors[:5]:
            print(f"    {e}")
        db = DatabaseRateLimiter(store.engine, 6_000_000, 1_000_000)
        mem = RateLimiter(6_000_000, 1_000_000)
        take_us(db, 200)  # warm the pool
        d, m = take_us(db, 2000), take_us(mem, 2000)
        ping = statistics.median(round_trip(store) for _ in range(2000)) * 1e6
        per_request = elapsed / max(1, load.requests) * args.clients * 1e6
        print("rate limit, one take (median)")
        print(f"  in process                 {m:8.1f} µs")
        print(f"  database (PostgreSQL)      {d:8.1f} µs   ({d / m:.0f}× in process)")
        print(f"  a bare SELECT 1 round trip {ping:8.1f} µs   (the floor of any shared limit)")
        print(
            f"  database / mean request    {d / per_request:8.3f}    "
            f"(mean request {per_request / 1000:.1f} ms at {args.clients} clients)"
        )
        store.engine.dispose()
    finally:
        pg.stop()


if __name__ == "__main__":
    main()
