"""Speed and memory of the query path, against baselines measured in the same run.

Figures printed (never asserted: machines here are noisy):
  * p50/p99 latency and events/s of ``who_must_be_notified`` on each backend;
  * baseline (a): a bare durable-rules ``assert_fact`` + actions + ``retract_fact`` of the
    same facts on the same compiled ruleset — the durable backend's floor;
  * baseline (b): a bare dict-of-predicates loop over the same facts — the Python floor;
  * the ratios against the targets (durable ≤ 1.5 × (a), Python ≤ 2 × (b));
  * cold start: import + load every rule + compile, in a fresh interpreter (target ≤ 300 ms);
  * RSS before and after N events (default 1,000,000; ``--events`` to change).

Run: ``.venv/bin/python benchmarks/bench_engine.py [--events N]``
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from quyche_rules.backends import durable_definition
from quyche_rules.engine import Engine
from quyche_rules.events import parse_event

ROOT = Path(__file__).resolve().parents[1]


def load_events() -> list[dict[str, Any]]:
    return [
        yaml.safe_load(p.read_text(encoding="utf-8"))
        for p in sorted((ROOT / "examples" / "events").glob("*.yaml"))
    ]


def latencies(fn: Callable[[Any], Any], inputs: list[Any], rounds: int) -> list[float]:
    out = []
    for _ in range(rounds):
        for x in inputs:
            t = time.perf_counter_ns()
            fn(x)
            out.append(time.perf_counter_ns() - t)
    return out


def report(name: str, ns: list[float]) -> float:
    ns = sorted(ns)
    p50, p99 = ns[len(ns) // 2], ns[int(len(ns) * 0.99)]
    rate = 1e9 / statistics.fmean(ns)
    print(f"  {name:<44} p50 {p50 / 1000:8.1f} µs  p99 {p99 / 1000:8.1f} µs  {rate:10,.0f} ev/s")
    return statistics.fmean(ns)


def bare_durable(engine: Engine) -> Callable[[dict[str, Any]], None]:
    from durable import engine as dr

    class NoHost:
        def get_action(self, name: str) -> Any:
            raise LookupError(name)

    definition = {
        k: {**v, "run": lambda c: None} for k, v in durable_definition(engine.triggers).items()
    }
    rs = dr.Ruleset("bench_bare", NoHost(), definition)
    counter = iter(range(10**12))

    def run(fact: dict[str, Any]) -> None:
        msg = {**fact, "id": f"b{next(counter)}", "sid": "0"}
        try:
            handle = rs.assert_fact(msg)
        except dr.MessageNotHandledException:
            return
        rs.do_actions(handle, lambda e, s: None)
        rs.retract_fact(msg)

    return run


def bare_predicates(engine: Engine) -> Callable[[dict[str, Any]], None]:
    table = engine.backend._by_type if engine.backend.name == "python" else {}

    def run(fact: dict[str, Any]) -> None:
        [k for k, p in table.get(fact["type"], ()) if p(fact)]

    return run


def cold_start() -> float:
    code = (
        "import time; t=time.perf_counter(); from quyche_rules import Engine; Engine(); "
        "print(time.perf_counter()-t)"
    )
    runs = [
        float(subprocess.check_output([sys.executable, "-c", code], text=True)) for _ in range(5)
    ]
    return statistics.median(runs) * 1000


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--rounds", type=int, default=300)
    args = ap.parse_args()

    events = load_events()
    durable, python = Engine(backend="durable"), Engine(backend="python")
    facts = [python.fact(parse_event(e)) for e in events]
    n = len(events) * args.rounds
    print(f"{len(events)} example events × {args.rounds} rounds = {n:,} queries per line")
    a = report(
        "baseline (a) bare durable assert+retract",
        latencies(bare_durable(durable), facts, args.rounds),
    )
    b = report(
        "baseline (b) bare dict-of-predicates",
        latencies(bare_predicates(python), facts, args.rounds),
    )
    dm = report("durable backend: match only", latencies(durable.backend.match, facts, args.rounds))
    pm = report("python backend: match only", latencies(python.backend.match, facts, args.rounds))
    dw = report(
        "durable: who_must_be_notified",
        latencies(durable.who_must_be_notified, events, args.rounds),
    )
    pw = report(
        "python: who_must_be_notified", latencies(python.who_must_be_notified, events, args.rounds)
    )
    print("ratios (target in brackets)")
    print(f"  durable match / (a)                 {dm / a:6.2f}  [≤ 1.5]")
    print(f"  python match / (b)                  {pm / b:6.2f}  [≤ 2]")
    print(f"  durable who_must_be_notified / (a)  {dw / a:6.2f}  (+ validation, obligations)")
    print(f"  python who_must_be_notified / (b)   {pw / b:6.2f}  (+ validation, obligations)")
    print(f"cold start (import + load + compile), median of 5: {cold_start():.0f} ms  [≤ 300]")

    before = rss_mb()
    t = time.perf_counter()
    for i in range(args.events):
        durable.who_must_be_notified(events[i % len(events)])
    took = time.perf_counter() - t
    print(
        f"memory: max RSS {before:.1f} MB before, {rss_mb():.1f} MB after {args.events:,} events "
        f"on the durable backend ({took:.0f} s)"
    )


if __name__ == "__main__":
    main()
