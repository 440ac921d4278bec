"""Every province in one service: memory per loaded profile, and the time of a decision
with 1 and with 34 provincial profiles loaded (``--count``), same run.

The profiles are generated from ``profiles/dak-lak.yaml`` with renamed bodies
(``tests/service/provinces.py``). Three ``quyche serve`` processes on loopback, one after
the other, each on its own SQLite file with the default settings (every decision fsynced):
no profile, one profile, ``--profiles-dir`` with all of them. Printed (never asserted):
  * resident memory (VmRSS) of each server once warm, and per profile:
    (RSS with N - RSS with 1) / (N - 1);
  * p50 and p90 of ``POST /v1/notify`` with one client, a key bound to one province;
  * p50 of the engine alone (``who_must_be_notified``, in process) with 1 and N engines
    built, to show the query does not depend on how many are loaded.

Run: ``.venv/bin/python benchmarks/bench_profiles_service.py [--count 34] [--requests 300]``
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from quyche_rules.engine.engine import Engine
from quyche_rules.service.auth import new_key
from quyche_rules.service.store import Store
from tests.service.instances import QUYCHE, free_port
from tests.service.provinces import body_id, body_name, write_provinces

EVENT = {
    "type": "personnel_action",
    "date": "2025-03-04",
    "action": "reappointment",
    "stage": "process_started",
    "person_in_bloc": True,
    "person_committee_role": "bi_thu",
}


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def serve(
    db: Path, args: list[str], key_profile: str | None, requests: int
) -> tuple[int, list[float]]:
    """Start a server, bind a key, time ``requests`` notifies; (RSS KiB, latencies s)."""
    import os
    import signal
    import subprocess

    store = Store(f"sqlite:///{db}")
    store.create_tables()
    party = body_id(1, "so_y_te") if key_profile else None
    key, _ = new_key(store, party=party, admin=party is None, profile=key_profile)
    store.engine.dispose()
    port = free_port()
    cmd = [QUYCHE, "serve", "--db", str(db), "--port", str(port), "--rate-per-minute", "0"]
    proc = subprocess.Popen(
        [*cmd, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while True:
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"quyche serve {' '.join(args)} did not start")
            time.sleep(0.2)
        event = {**EVENT, "conducted_by": body_name(1, "Sở Y tế") if key_profile else
                 "Ban Tổ chức Tỉnh ủy"}  # fmt: skip
        lat = []
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}) as c:
            for _ in range(20):  # warm
                c.post("/v1/notify", json=event).raise_for_status()
            for _ in range(requests):
                t = time.perf_counter()
                c.post("/v1/notify", json=event).raise_for_status()
                lat.append(time.perf_counter() - t)
        return rss_kib(proc.pid), lat
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


def pct(xs: list[float], q: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, int(len(s) * q))]


def engine_p50(engines: list[Engine], event: dict[str, object], n: int) -> float:
    e = engines[0]
    times = []
    for _ in range(n):
        t = time.perf_counter()
        e.who_must_be_notified(event)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=34)
    ap.add_argument("--requests", type=int, default=300)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="quyche-provinces-"))
    folder = work / "profiles"
    paths = write_provinces(folder, args.count)
    print(f"{args.count} generated provincial profiles; one client, {args.requests} notifies")
    rows = []
    for name, extra, bound in (
        ("no profile", [], None),
        ("1 profile", ["--profile", str(paths[0])], "t01"),
        (f"{args.count} profiles", ["--profiles-dir", str(folder)], "t01"),
    ):
        rss, lat = serve(work / f"{len(rows)}.db", extra, bound, args.requests)
        rows.append((name, rss, lat))
        print(
            f"  {name:<14} RSS {rss / 1024:7.1f} MiB   notify p50 {pct(lat, 0.5) * 1000:6.2f} ms"
            f"   p90 {pct(lat, 0.9) * 1000:6.2f} ms"
        )
    one, many = rows[1], rows[2]
    per = (many[1] - one[1]) / max(1, args.count - 1)
    print(f"  memory per loaded profile: {per / 1024:.1f} MiB")
    print(f"  p50 with {args.count} / with 1: {pct(many[2], 0.5) / pct(one[2], 0.5):.2f}×")
    event = {**EVENT, "conducted_by": body_id(1, "so_y_te")}
    book = Engine(backend="auto").rulebook
    alone = [Engine(book, profile=paths[0])]
    p1 = engine_p50(alone, event, 2000)
    loaded = alone + [Engine(book, profile=p) for p in paths[1:]]
    pn = engine_p50(loaded, event, 2000)
    print(
        f"  engine alone p50: {p1 * 1e6:.1f} µs with 1 engine built, {pn * 1e6:.1f} µs with "
        f"{len(loaded)} ({pn / p1:.2f}×)"
    )


if __name__ == "__main__":
    main()
