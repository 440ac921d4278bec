"""A large body's status over HTTP: the first page and the counts (``GET
/v1/track/status?group=owes&limit=50``) against the whole status (no ``limit``, the old
answer), both on the same database in the same run, on SQLite and on a throw-away
PostgreSQL server (``--only sqlite|postgresql``).

    python benchmarks/bench_status_page.py [--n 22000] [--repeat 5] [--only sqlite]

All N cases are owed by one body (``ban_noi_chinh_tinh_uy``), as in the project's own
22,309-case benchmark; a tenth of them were answered, so the database's classification
(``tracker.status_page``) meets acts too. Target: first page + counts under 50 ms. The
counts are sums of the per-due-date counts the tracker keeps (``tracker.marks``), the page
a walk of an index (only cases with a disagreement, an extension or a receipt correction
are folded in memory); the baseline folds every case.

Two more readers of the same database, each against its own whole status (same run):

* **the counterparty**: the requester (``dang_uy_khoi``) is the counterparty of every
  case, so it is owed all N; its first ``owed_to`` page and counts, which the database
  classifies case by case (no per-due-date counts are kept by counterparty);
* **the administrator**: every body's cases at once (no ``party``), its first ``owes``
  page and counts, classified case by case too.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_tracker import events  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402

from quyche_rules.engine.engine import Engine  # noqa: E402
from quyche_rules.service import Settings, create_app  # noqa: E402
from quyche_rules.service.auth import new_key  # noqa: E402

BODY = "ban_noi_chinh_tinh_uy"
REQUESTER = "dang_uy_khoi"  # the counterparty of every case
TARGET_MS = 50.0
#: who reads, with which key and which group: (name, key's body or None, group)
READERS = (("requested body", BODY, "owes"), ("counterparty", REQUESTER, "owed_to"),
           ("administrator", None, "owes"))  # fmt: skip


def _ms(client: TestClient, url: str, headers: dict[str, str], repeat: int) -> float:
    assert client.get(url, headers=headers).status_code == 200  # warm-up: caches, plans
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        r = client.get(url, headers=headers)
        times.append((time.perf_counter() - t0) * 1000)
        assert r.status_code == 200, r.text
    return statistics.median(times)


def _answers(evs: list[dict[str, object]]) -> list[dict[str, object]]:
    """An on-time answer to every tenth request."""
    return [
        {
            "type": "coordination_answered",
            "date": e["date"],
            "requester": e["requester"],
            "requested": e["requested"],
            "in_reply_to": e["reference"],
        }
        for e in evs[::10]
    ]


Result = list[tuple[str, float, float]]  # (reader, whole status ms, first page ms)


def measure(kind: str, db_url: str, n: int, repeat: int) -> Result:
    settings = Settings(db_url=db_url, rate_per_minute=0)
    app = create_app(settings, engine=Engine())
    tracker = app.state.services.tracker
    evs = events(n, "p", [(REQUESTER, BODY)])
    evs += _answers(evs)
    t0 = time.perf_counter()
    for lo in range(0, len(evs), 1000):
        tracker.record_many(evs[lo : lo + 1000])
    print(f"{kind}: recorded {n} cases in {time.perf_counter() - t0:.1f} s", flush=True)
    out: Result = []
    with TestClient(app) as client:
        for reader, party, group in READERS:
            key, _ = new_key(app.state.services.store, party=party, admin=party is None)
            h = {"Authorization": f"Bearer {key}"}
            base = "/v1/track/status?as_of=2026-12-31"
            whole = _ms(client, base, h, max(1, repeat // 2))
            paged = _ms(client, f"{base}&group={group}&limit=50", h, repeat)
            out.append((reader, whole, paged))
    app.state.services.store.engine.dispose()
    tracker.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=22_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--only", choices=("sqlite", "postgresql"))
    args = ap.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        if args.only in (None, "sqlite"):
            results += [("sqlite", *r) for r in measure("sqlite", f"sqlite:///{tmp}/bench.db",
                                                         args.n, args.repeat)]  # fmt: skip
        if args.only in (None, "postgresql"):
            from tests.tracker.pgserver import PgServer, find_bindir

            bindir = find_bindir()
            if bindir is None:
                print("postgresql: not measured, no initdb/pg_ctl on this machine")
            else:
                server = PgServer(bindir)
                try:
                    url = server.new_database()
                    got = measure("postgresql", url, args.n, args.repeat)
                    results += [("postgresql", *r) for r in got]
                finally:
                    server.stop()
    for kind, reader, whole, paged in results:
        verdict = "meets" if paged <= TARGET_MS else "MISSES"
        print(f"{kind}, {reader}: whole status (baseline, folded in memory): {whole:8.1f} ms")
        print(f"{kind}, {reader}: first page + counts (database):            {paged:8.1f} ms  "
              f"({whole / paged:.1f}x faster; target {TARGET_MS:.0f} ms: {verdict})")  # fmt: skip


if __name__ == "__main__":
    main()
