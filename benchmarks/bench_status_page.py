"""A large body's status over HTTP: the first page and the counts (``GET
/v1/track/status?group=owes&limit=50``) against the whole status (no ``limit``, the old
answer), both on the same SQLite database in the same run.

    python benchmarks/bench_status_page.py [--n 22000] [--repeat 5]

All N cases are owed by one body (``ban_noi_chinh_tinh_uy``), as in the project's own
22,309-case benchmark. Target (issue 20): first page + counts under 50 ms. The page is
cut today from the status folded in memory, so it saves the serialisation and transfer
of the other cases but not the fold: the printed ratio says how much that buys, and the
absolute time says how far the target still is.
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
TARGET_MS = 50.0


def _ms(client: TestClient, url: str, headers: dict[str, str], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        r = client.get(url, headers=headers)
        times.append((time.perf_counter() - t0) * 1000)
        assert r.status_code == 200, r.text
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=22_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(db_url=f"sqlite:///{tmp}/bench.db", rate_per_minute=0)
        app = create_app(settings, engine=Engine())
        tracker = app.state.services.tracker
        evs = events(args.n, "p", [("dang_uy_khoi", BODY)])
        t0 = time.perf_counter()
        for lo in range(0, len(evs), 1000):
            tracker.record_many(evs[lo : lo + 1000])
        print(f"recorded {args.n} cases in {time.perf_counter() - t0:.1f} s")
        key, _ = new_key(app.state.services.store, party=BODY, admin=False)
        h = {"Authorization": f"Bearer {key}"}
        as_of = "2026-12-31"
        with TestClient(app) as client:
            base = f"/v1/track/status?as_of={as_of}"
            whole = _ms(client, base, h, args.repeat)
            paged = _ms(client, f"{base}&group=owes&limit=50", h, args.repeat)
    print(f"whole status (baseline):  {whole:8.1f} ms")
    print(f"first page + counts:      {paged:8.1f} ms  ({whole / paged:.1f}x faster)")
    verdict = "meets" if paged <= TARGET_MS else "MISSES"
    print(f"target {TARGET_MS:.0f} ms for the first page + counts: {verdict}")


if __name__ == "__main__":
    main()
