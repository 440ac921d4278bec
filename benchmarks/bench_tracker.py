"""Tracker speed: records/s and status-query latency for N cases (default 100k) on SQLite
and PostgreSQL, against a bare INSERT loop of the same rows in the same run.

    python benchmarks/bench_tracker.py [--n 100000] [--live 2000] [--only sqlite|postgresql]

The baseline writes, through the raw DB-API driver (sqlite3 / psycopg), exactly the rows
the tracker writes for each event (log row, case rows, case-party rows), with the same
durability settings (SQLite: WAL, synchronous=FULL; PostgreSQL: fsync on). Two modes:

- live: one committed transaction per event (``Tracker.record``), as a document system
  records one document at a time; measured on the first ``--live`` events, because a
  durable commit per event makes both sides fsync-bound (the bare loop as much as the
  tracker), so 100k of them would only measure the disk for half an hour;
- import: all N events in transactions of 1000 (``Tracker.record_many``) against the bare
  rows in transactions of 1000: here the tracker's own cost — validating the event,
  running the engine, the idempotency check, SQLAlchemy — is what the ratio shows.

Target: within 3x. The import is split into its parts, each timed in the same run:
``prepare`` (validating the event — ``events.parse_event`` — and running the engine, then
encoding the log row: the part outside the store) and the store's writes, so the printed
floor ``1 + prepare/bare`` says how close to the bare loop the tracker can get at all.

Then the queries, as of a date, over the N cases: the status of a large body (a share of
all N cases: its latency grows with the cases the answer holds), of a small body (100
cases among the N: what a clerk's morning report costs; target tens of milliseconds), the
same large body through the old path (read every record behind its cases, decode, fold:
the baseline the projection replaces), and one case with its history.
PostgreSQL runs on a throw-away server started for the run (as in the tests).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from quyche_rules.engine.engine import Engine  # noqa: E402
from quyche_rules.tracker import Tracker  # noqa: E402
from quyche_rules.tracker.model import fold, status  # noqa: E402
from quyche_rules.tracker.rows import NewRecord, act_rows, decision_json, fact_rows  # noqa: E402

TARGET_RATIO = 3.0  # tracker / bare INSERT loop (issue 13)
TARGET_QUERY_MS = 50.0  # "tens of milliseconds" for a clerk's morning report
BIG, SMALL = "ban_noi_chinh_tinh_uy", "ban_dan_van_tinh_uy"

PAIRS = [
    (a, b)
    for a in ("dang_uy_khoi", "ban_to_chuc_tinh_uy", "ubkt_tinh_uy", "ban_noi_chinh_tinh_uy")
    for b in (
        "ban_noi_chinh_tinh_uy",
        "dang_uy_khoi",
        "van_phong_tinh_uy",
        "ubnd_tinh",
        "hdnd_tinh",
    )
    if a != b
]
START = dt.date(2025, 1, 2)


def events(n: int, prefix: str, pairs: list[tuple[str, str]] = PAIRS) -> list[dict[str, Any]]:
    out = []
    for i in range(n):
        rq, rd = pairs[i % len(pairs)]
        day = START + dt.timedelta(days=i % 700)
        out.append(
            {
                "type": "coordination_requested",
                "date": day.isoformat(),
                "reference": f"{prefix}{i}-CV",
                "requester": rq,
                "requested": rd,
                "received_on": day.isoformat(),
            }
        )
    return out


def rows(
    new: NewRecord, seq: int, now: dt.datetime
) -> tuple[tuple[Any, ...], list[Any], list[Any], list[Any], list[Any]]:
    rec = (seq, new.doc_key, new.event_type, new.sender, new.reference, new.event_date,
           new.event_json, decision_json(new.decision), new.decision.rulebook_hash,
           new.decision.engine_version, now)  # fmt: skip
    cases = [(cid, seq, new.doc_key, d.rule_id, d.due) for cid, d in new.cases]
    parties = [
        (cid, p, role)
        for cid, d in new.cases
        for role, ps in (("obligated", (d.obligated,)), ("counterparty", d.counterparties))
        for p in dict.fromkeys(ps)
    ]
    # the projection (revision 0003): the same dicts the store writes, as tuples
    facts = [tuple(r.values()) for r in fact_rows(new, seq)]
    acts = [tuple(r.values()) for r in act_rows(new, seq)]
    if new.cases and not FACT_COLUMNS:  # named: the table has columns the rows leave unset
        FACT_COLUMNS.extend(fact_rows(new, seq)[0])
    return rec, cases, parties, facts, acts


#: the projection's columns the tracker's rows fill, in their order (the marks, which the
#: tracker computes after inserting them, keep the table's defaults in the baseline)
FACT_COLUMNS: list[str] = []


class Bare:
    """The baseline: the same rows through the raw driver, one transaction per ``write``
    call, each table's rows in one ``executemany`` (the cheapest way the driver offers)."""

    def __init__(self, kind: str, db: str) -> None:
        Tracker(db).close()  # the same schema (migrations), empty
        self.kind = kind
        self.now = dt.datetime.now(dt.UTC)
        self.seq = 0
        if kind == "sqlite":
            import sqlite3

            self.conn: Any = sqlite3.connect(db, isolation_level=None)
            for pragma in ("busy_timeout = 30000", "journal_mode = WAL", "synchronous = FULL"):
                self.conn.execute(f"PRAGMA {pragma}")
            self.mark = "?"
        else:
            import psycopg

            self.conn = psycopg.connect(db.replace("postgresql+psycopg://", "postgresql://"))
            self.mark = "%s"

    def write(self, chunk: list[NewRecord]) -> None:
        recs, cases, parties, facts, acts = [], [], [], [], []
        for new in chunk:
            self.seq += 1
            rec, c, p, f, a = rows(new, self.seq, self.now)
            recs.append(rec)
            cases += c
            parties += p
            facts += f
            acts += a
        m = self.mark
        sql = [
            (f"INSERT INTO tracker_records VALUES ({','.join([m] * 11)})", recs),
            (f"INSERT INTO tracker_cases VALUES ({','.join([m] * 5)})", cases),
            (f"INSERT INTO tracker_case_parties VALUES ({','.join([m] * 3)})", parties),
            (
                f"INSERT INTO tracker_case_facts ({','.join(FACT_COLUMNS)}) "
                f"VALUES ({','.join([m] * len(FACT_COLUMNS))})",
                facts,
            ),
            (f"INSERT INTO tracker_acts VALUES ({','.join([m] * 6)})", acts),
        ]
        sql = [(q, data) for q, data in sql if data]
        if self.kind == "sqlite":
            self.conn.execute("BEGIN IMMEDIATE")
            for q, data in sql:
                self.conn.executemany(q, [tuple(_lite(v) for v in row) for row in data])
            self.conn.execute("COMMIT")
        else:
            with self.conn.transaction(), self.conn.cursor() as cur:
                for q, data in sql:
                    cur.executemany(q, data)

    def close(self) -> None:
        self.conn.close()


def _lite(v: Any) -> Any:
    return v.isoformat() if isinstance(v, dt.date) else v


def measure(
    kind: str, db: str, bare_dbs: tuple[str, str], n: int, live: int, engine: Engine
) -> dict[str, Any]:
    """Tracker and baseline alternate chunk by chunk (50 events live, 1000 import), so a
    change of load on this shared machine hits both alike."""
    evs = events(n, "b")
    t = Tracker(db, engine=engine)
    # for the baseline, outside the tracker's timing; timed, it is the import's share
    # that is not the store's (validation, engine, encoding of the log row)
    t0 = time.perf_counter()
    prepared = [t.prepare(e) for e in evs]
    prepare_s = (time.perf_counter() - t0) / n
    sample = evs[: min(n, 2000)]
    t0 = time.perf_counter()
    parsed = [t._parse(e) for e in sample]
    t1 = time.perf_counter()
    for ev in parsed:
        engine.who_must_be_notified(ev)
    t2 = time.perf_counter()
    parse_s, engine_s = (t1 - t0) / len(sample), (t2 - t1) / len(sample)
    timing = {"live_t": 0.0, "live_b": 0.0, "import_t": 0.0, "import_b": 0.0}
    # this process's CPU too: a commit's fsync waits as long for either side, and on a
    # shared disk it varies tenfold from one minute to the next (SQLite runs in-process:
    # its CPU is nearly all its work; PostgreSQL's server CPU is not counted)
    cpu = {"live_t": 0.0, "live_b": 0.0}
    chunk_ratios: list[float] = []  # per pair of chunks: one fsync stall moves one of them
    bare_live, bare_import = Bare(kind, bare_dbs[0]), Bare(kind, bare_dbs[1])
    for lo in range(0, live, 50):
        t0, c0 = time.perf_counter(), time.process_time()
        for e in evs[lo : lo + 50]:
            t.record(e)
        t1, c1 = time.perf_counter(), time.process_time()
        for new in prepared[lo : lo + 50]:
            bare_live.write([new])
        t2, c2 = time.perf_counter(), time.process_time()
        timing["live_t"] += t1 - t0
        timing["live_b"] += t2 - t1
        cpu["live_t"] += c1 - c0
        cpu["live_b"] += c2 - c1
        chunk_ratios.append((t1 - t0) / (t2 - t1))
    for lo in range(live, n, 1000):
        t0 = time.perf_counter()
        t.record_many(evs[lo : lo + 1000])
        t1 = time.perf_counter()
        bare_import.write(prepared[lo : lo + 1000])
        t2 = time.perf_counter()
        timing["import_t"] += t1 - t0
        timing["import_b"] += t2 - t1
    bare_live.close()
    bare_import.close()
    del prepared
    t0 = time.perf_counter()
    for e in evs[:200]:
        t.record(e)  # idempotent re-record: a lookup, no write
    again = (time.perf_counter() - t0) / 200
    bare_us = timing["import_b"] / (n - live) * 1e6
    out: dict[str, Any] = {
        "kind": kind,
        "n": n,
        "live_tracker_records_per_s": live / timing["live_t"],
        "live_bare_per_s": live / timing["live_b"],
        "live_ratio": timing["live_t"] / timing["live_b"],
        "live_ratio_median_chunk": statistics.median(chunk_ratios),
        "live_tracker_cpu_us": cpu["live_t"] / live * 1e6,
        "live_bare_cpu_us": cpu["live_b"] / live * 1e6,
        "import_tracker_records_per_s": (n - live) / timing["import_t"],
        "import_bare_per_s": (n - live) / timing["import_b"],
        "import_ratio": timing["import_t"] / timing["import_b"],
        "import_tracker_us": timing["import_t"] / (n - live) * 1e6,
        "import_bare_us": bare_us,
        "prepare_us": prepare_s * 1e6,
        "parse_us": parse_s * 1e6,
        "engine_us": engine_s * 1e6,
        "encode_us": (prepare_s - parse_s - engine_s) * 1e6,
        "store_us": timing["import_t"] / (n - live) * 1e6 - prepare_s * 1e6,
        "floor_ratio": 1 + prepare_s * 1e6 / bare_us,
        "re_record_ms": again * 1000,
    }
    out["store_ratio"] = out["store_us"] / bare_us
    t.record_many(events(100, "s", [("dang_uy_khoi", SMALL)]))  # the small body's cases
    as_of = START + dt.timedelta(days=400)
    for label, party in (("big", BIG), ("small", SMALL)):
        t.status(party, as_of)  # warm the caches once
        lat, cpu = [], []
        for _ in range(5):
            t0, c0 = time.perf_counter(), time.process_time()
            st = t.status(party, as_of)
            lat.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
        cases = len(t.cases(party=party, as_of=as_of))
        out[f"status_{label}_ms"] = statistics.median(lat) * 1000
        # this process's CPU: on a shared machine the wall-clock time also counts the
        # waits for a core (SQLite runs in-process, so this is nearly all its work)
        out[f"status_{label}_cpu_ms"] = statistics.median(cpu) * 1000
        out[f"status_{label}_cases"] = cases
        out[f"status_{label}_open"] = len(st.owes)
        out[f"status_{label}_us_per_case"] = statistics.median(lat) * 1e6 / max(cases, 1)
    t0 = time.perf_counter()  # the old path: every record behind the body's cases, folded
    recs = t.store.load(party=BIG, as_of=as_of, parse=t._parse_stored)
    old = status(
        [c for c in fold(recs, as_of).values() if c.obligated == BIG or BIG in c.counterparties],
        BIG,
        as_of,
    )
    out["status_big_old_path_ms"] = (time.perf_counter() - t0) * 1000
    assert old == t.status(BIG, as_of), "the projection and the log disagree"
    some = t.cases(party="ubnd_tinh", as_of=as_of)[0].id
    t0 = time.perf_counter()
    for _ in range(20):
        t.case(some)
    out["show_case_ms"] = (time.perf_counter() - t0) / 20 * 1000
    t.close()
    return out


def summary(r: dict[str, Any]) -> list[str]:
    """Every figure with its target and its ratio to it (or to its same-run baseline)."""

    def ratio(label: str, value: float, target: float, unit: str, base: str = "") -> str:
        verdict = "met" if value <= target else "NOT met"
        return f"  {label:<44} {value:10.2f} {unit:<3} target <= {target:g} {unit}: {verdict}{base}"

    q = TARGET_QUERY_MS
    return [
        f"{r['kind']} (N = {r['n']}):",
        ratio("live record, tracker/bare", r["live_ratio"], TARGET_RATIO, "x",
              f" ({r['live_tracker_records_per_s']:.0f} vs {r['live_bare_per_s']:.0f} records/s;"
              f" median of chunks {r['live_ratio_median_chunk']:.2f}x; this process's CPU"
              f" {r['live_tracker_cpu_us']:.0f} vs {r['live_bare_cpu_us']:.0f} us/record)"),
        ratio("bulk import, tracker/bare", r["import_ratio"], TARGET_RATIO, "x",
              f" ({r['import_tracker_records_per_s']:.0f} vs "
              f"{r['import_bare_per_s']:.0f} records/s;"
              f" {r['import_tracker_us']:.0f} vs {r['import_bare_us']:.0f} us/record)"),
        ratio("  of which store writes/bare", r["store_ratio"], TARGET_RATIO, "x",
              f" ({r['store_us']:.0f} us/record)"),
        ratio("  floor 1 + prepare/bare", r["floor_ratio"], TARGET_RATIO, "x",
              f" (prepare {r['prepare_us']:.0f} us = parse {r['parse_us']:.0f} + engine "
              f"{r['engine_us']:.0f} + encoding {r['encode_us']:.0f})"),
        ratio(f"status of a small body ({r['status_small_cases']} cases)",
              r["status_small_ms"], q, "ms", f" = {r['status_small_ms'] / q:.2f} of target;"
              f" CPU {r['status_small_cpu_ms']:.0f} ms"),
        ratio(f"status of a large body ({r['status_big_cases']} cases)",
              r["status_big_ms"], q, "ms",
              f" = {r['status_big_ms'] / q:.2f} of target; CPU {r['status_big_cpu_ms']:.0f} ms;"
              f" {r['status_big_us_per_case']:.1f} "
              f"us/case; old path {r['status_big_old_path_ms']:.0f} ms = "
              f"{r['status_big_old_path_ms'] / r['status_big_ms']:.0f}x slower"),
        ratio("show one case", r["show_case_ms"], q, "ms",
              f" = {r['show_case_ms'] / q:.2f} of target"),
        ratio("re-record (idempotent, a lookup)", r["re_record_ms"],
              1000 / r["live_tracker_records_per_s"], "ms", " (target: one live record)"),
    ]  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--live", type=int, default=2000)
    ap.add_argument("--backend", choices=("auto", "durable", "python"), default="auto")
    ap.add_argument("--only", choices=("sqlite", "postgresql"))
    args = ap.parse_args()
    engine = Engine(backend=args.backend)
    print(f"engine backend: {type(engine.backend).__name__}; N = {args.n}")
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        if args.only in (None, "sqlite"):
            bare = (f"{tmp}/bare1.db", f"{tmp}/bare2.db")
            results.append(measure("sqlite", f"{tmp}/t.db", bare, args.n, args.live, engine))
            print(json.dumps(results[-1], indent=1), flush=True)
        if args.only in (None, "postgresql"):
            from tests.tracker.pgserver import PgServer, find_bindir

            bindir = find_bindir()
            if bindir is None:
                print("postgresql: skipped, no initdb/pg_ctl on this machine")
            else:
                server = PgServer(bindir, fsync=True)
                try:
                    results.append(
                        measure(
                            "postgresql",
                            server.new_database(),
                            (server.new_database(), server.new_database()),
                            args.n,
                            args.live,
                            engine,
                        )
                    )
                    print(json.dumps(results[-1], indent=1), flush=True)
                finally:
                    server.stop()
    for r in results:
        print("\n".join(summary(r)))


if __name__ == "__main__":
    main()
