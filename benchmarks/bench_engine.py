"""Speed and memory of the query path (issue 10), against baselines measured in the same run.

Every figure is printed with its target; nothing is asserted (machines here are noisy).

  * floors: (a) a bare durable-rules ``assert_fact`` + actions + ``retract_fact`` of the same
    facts on the same ruleset; (b) a bare dict-of-predicates loop; (c) the *composite floor*:
    event validation as ``parse_event`` does it + the projected fact + the generated matcher
    + returning a list;
  * ``who_must_be_notified`` on the python backend, and on the durable backend with its memo
    hit (every fact seen before) and missed (``durable_memo=0``: durable-rules decides each);
  * events/s on a mixed load (``--events``, default 1,000,000) against *today's* code (the
    commit ``--before``, run from ``git archive`` in a subprocess on ``--before-events``);
  * match time of the python matcher on the rulebook grown ×10 and ×100 synthetically
    (each trigger copied with one more party condition naming a body no event names);
  * cold start (import + load + compile in a fresh interpreter, median of 5), and of the
    command ``quyche notify ONE.yaml --json`` against ``python -c "import pydantic, yaml"``
    (fresh processes, interleaved; target ≤ 2×; ``--cold-only`` prints just this);
  * RSS before and after the mixed load; ``--json`` output compact vs indented.

Run: ``.venv/bin/python benchmarks/bench_engine.py [--events N] [--rounds R]``
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from pydantic import TypeAdapter

from quyche_rules.engine.backends import (
    CompiledTrigger,
    DurableBackend,
    PythonBackend,
    _compile_predicate,
    durable_definition,
)
from quyche_rules.engine.engine import Engine
from quyche_rules.model.event_checks import condition_fields, parse_event
from quyche_rules.model.obligations import Obligation
from quyche_rules.rulebook.conditions import All, Eq

ROOT = Path(__file__).resolve().parents[1]
BEFORE = "fac58c7"  # main when issue 10 started: "today" in the targets


def load_events() -> list[dict[str, Any]]:
    return [
        yaml.safe_load(p.read_text(encoding="utf-8"))
        for p in sorted((ROOT / "examples" / "events").glob("*.yaml"))
    ]


def mixed_load(events: list[dict[str, Any]], distinct: int, seed: int = 10) -> list[dict[str, Any]]:
    """``distinct`` events: the examples with dates (and receipt dates) moved over 2025-2026
    and their free text varied, so deadlines are computed afresh and the durable memo sees
    the facts a real stream would repeat (same projected fields), not one event 1M times."""
    rng = random.Random(seed)
    out = []
    for i in range(distinct):
        e = dict(events[i % len(events)])
        shift = dt.timedelta(days=rng.randrange(0, 700))
        day = dt.date(2025, 1, 1) + shift
        e["date"] = day.isoformat()
        for f in ("received_on",):
            if f in e:
                e[f] = (day + dt.timedelta(days=rng.randrange(0, 5))).isoformat()
        if "reply_by" in e:
            e["reply_by"] = (day + dt.timedelta(days=rng.randrange(5, 30))).isoformat()
        e["summary"] = f"sự việc số {i}"
        out.append(e)
    return out


def mean_ns(fn: Callable[[Any], Any], inputs: list[Any], rounds: int) -> tuple[float, float, float]:
    """(mean, p50, p99) in ns of ``fn`` over ``inputs`` × ``rounds``."""
    ns = []
    for _ in range(rounds):
        for x in inputs:
            t = time.perf_counter_ns()
            fn(x)
            ns.append(time.perf_counter_ns() - t)
    s = sorted(ns)
    return statistics.fmean(ns), s[len(s) // 2], s[int(len(s) * 0.99)]


def line(name: str, m: tuple[float, float, float]) -> float:
    """Print one figure; return its p50, what the ratios compare: on a machine shared with
    other jobs the mean follows the neighbours' bursts (see the p99), the median does not."""
    mean, p50, p99 = m
    print(
        f"  {name:<46} p50 {p50 / 1000:7.1f} µs  p99 {p99 / 1000:7.1f} µs  {1e9 / mean:10,.0f} ev/s"
    )
    return p50


def verdict(name: str, value: float, target: float, unit: str = "×") -> tuple[str, str, str]:
    ok = "met" if value <= target else "NOT met"
    print(f"  {name:<58} {value:7.2f}{unit}  [≤ {target}{unit}]  {ok}")
    return name, f"{value:.2f}{unit}", f"≤ {target}{unit} {ok}"


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


def bare_predicates(triggers: list[CompiledTrigger]) -> Callable[[dict[str, Any]], None]:
    table: dict[str, list[tuple[str, Any]]] = {}
    for t in triggers:
        table.setdefault(t.event_type, []).append((t.key, _compile_predicate(t.condition)))

    def run(fact: dict[str, Any]) -> None:
        [k for k, p in table.get(fact["type"], ()) if p(fact)]

    return run


def grown(triggers: list[CompiledTrigger], factor: int) -> list[CompiledTrigger]:
    """The rulebook ×factor: each trigger copied factor-1 times with one more condition, a
    party field of its event type equal to a body no event names (rules about other bodies,
    the way a rulebook grows with a province's agencies)."""
    out = list(triggers)
    for i in range(1, factor):
        for t in triggers:
            party = sorted(
                n for n, f in condition_fields(t.event_type).items() if f.kind == "party"
            )
            if not party:
                continue
            extra = Eq(party[i % len(party)], f"synthetic_body_{i}")
            cond = extra if t.condition is None else All((extra, t.condition))
            out.append(CompiledTrigger(f"{t.key}~{i}", t.rule_id, t.index, t.event_type, cond))
    return out


COLD = (
    "import time; t=time.perf_counter(); from quyche_rules import Engine; Engine(); "
    "print(time.perf_counter()-t)"
)


def cold_start(env: dict[str, str] | None = None) -> float:
    out = subprocess.check_output([sys.executable, "-c", COLD], text=True, env=env)
    return float(out) * 1000


def cold_pair() -> tuple[float, float | None]:
    """Cold start now and at ``BEFORE``, interleaved, median of 5 each."""
    with tempfile.TemporaryDirectory() as tmp:
        env = _before_tree(tmp)
        now, then = [], []
        for _ in range(5):
            now.append(cold_start())
            if env is not None:
                then.append(cold_start(env))
        return statistics.median(now), statistics.median(then) if then else None


def _before_tree(tmp: str) -> dict[str, str] | None:
    """The code at ``BEFORE`` unpacked in ``tmp``; the environment that imports it."""
    try:
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", BEFORE, "src", "rules"],
            capture_output=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
    return {"PYTHONPATH": f"{tmp}/src", "QUYCHE_RULES_DIR": f"{tmp}/rules", "PATH": ""}


FLOOR = "import pydantic, yaml"
QUYCHE = str(Path(sys.executable).with_name("quyche"))


def _timed_run(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall, CPU) seconds of one whole process, CPU from the OS's accounting of children."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, check=True)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


Runs = list[tuple[float, float]]
TYPER_PATH = "import sys; from quyche_rules.cli.main import main; main(sys.argv[1:])"


def notify_cold(runs: int = 9) -> tuple[Runs, Runs, Runs, Runs]:
    """``quyche notify ONE.yaml --json`` and ``python -c "import pydantic, yaml"``, each a
    fresh process, in turn (A B A B …) after one warm-up each: (wall, CPU) per run; and,
    for context, the same command through the Typer app (what it cost before the fast path)
    and with the caches off (``QUYCHE_NO_CACHE=1``: every rule file parsed and validated).

    Bytecode caching is on for both (``PYTHONDONTWRITEBYTECODE`` removed): an installed
    wheel has its ``.pyc`` files, and the floor's packages have theirs; a checkout run
    without them would time the compiler, not the command."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    uncached = {**env, "QUYCHE_NO_CACHE": "1"}
    event = str(sorted((ROOT / "examples" / "events").glob("*.yaml"))[0])
    cmd = [QUYCHE, "notify", event, "--json"]
    floor = [sys.executable, "-c", FLOOR]
    typer = [sys.executable, "-c", TYPER_PATH, *cmd[1:]]
    for each in (cmd, floor, typer):  # warm-up: page cache, .pyc files, the rule caches
        _timed_run(each, env)
    a: Runs = []
    b: Runs = []
    c: Runs = []
    d: Runs = []
    for _ in range(runs):
        a.append(_timed_run(cmd, env))
        b.append(_timed_run(floor, env))
        c.append(_timed_run(typer, env))
        d.append(_timed_run(cmd, uncached))
    return a, b, c, d


#: where a ``notify --json`` spends its CPU, stage by stage, in one fresh interpreter (the
#: stages the fast path runs, in its order; each line the time since the previous one):
#: from the engine written down by an earlier run (``engine.snapshot``, the usual case) ...
PLAIN_STAGES = """
import time
t = [time.process_time()]
def lap(): t.append(time.process_time())
import yaml; lap()
import quyche_rules.cli.fast
from quyche_rules.engine import snapshot_cache
from quyche_rules.engine.plain import PlainEngine
from quyche_rules.io import resources
from quyche_rules.io.yamlio import event_limits, read_event; lap()
rules = resources.rules_dir(None)
entry = snapshot_cache.entry_path(rules); lap()
data = snapshot_cache.read(*entry); lap()
plain = PlainEngine.for_rules(data, rules); lap()
import sys
from pathlib import Path
event = read_event(Path(sys.argv[1]), file="e", limits=event_limits(None))
assert plain.answer(event); lap()
print(" ".join(str(b - a) for a, b in zip(t, t[1:])))
"""
PLAIN_STAGE_NAMES = (
    "import yaml (the floor's, without pydantic)",
    "the modules of the plain path",
    "the snapshot's key (code and rule files hashed)",
    "reading the snapshot (JSON, checksum)",
    "the calendar",
    "reading, checking and answering the event",
)
#: ... and from the engine, when there is no snapshot or it hands the event back
STAGES = """
import time
t = [time.process_time()]
def lap(): t.append(time.process_time())
import pydantic, yaml; lap()
from pydantic import BaseModel, Field; lap()
import quyche_rules.cli.fast, quyche_rules.engine.engine; lap()
from quyche_rules.rulebook.loader import load_rulebook
book = load_rulebook(); lap()
from quyche_rules.engine.engine import Engine
engine = Engine(rulebook=book); lap()
import sys
from pathlib import Path
from quyche_rules.io.yamlio import event_limits, read_event
data = read_event(Path(sys.argv[1]), file="e", limits=event_limits(None))
[o.model_dump(mode="json") for o in engine.who_must_be_notified(data)]; lap()
print(" ".join(str(b - a) for a, b in zip(t, t[1:])))
"""
STAGE_NAMES = (
    "import pydantic, yaml (the floor's work)",
    "pydantic's model machinery (BaseModel, Field)",
    "the library's modules (models built at import)",
    "the rulebook (cache hit: rebuilt, not validated)",
    "the engine (calendar, compile, matcher)",
    "reading, validating and answering the event",
)


def _stages(script: str, names: tuple[str, ...], runs: int, event: str, title: str) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run([sys.executable, "-c", script, event], env=env, check=True, capture_output=True)
    laps = [
        [float(x) for x in subprocess.check_output(
            [sys.executable, "-c", script, event], env=env, text=True
        ).split()]
        for _ in range(runs)
    ]  # fmt: skip
    print(f"  {title} (CPU, medians of {runs} fresh interpreters):")
    for i, name in enumerate(names):
        print(f"    {name:<50} {statistics.median(x[i] for x in laps) * 1000:6.1f} ms")
    print(f"    {'total':<50} {statistics.median(sum(x) for x in laps) * 1000:6.1f} ms")


def print_stages(runs: int, event: str) -> None:
    """Medians per stage over fresh interpreters (CPU): what remains above the floor."""
    _stages(PLAIN_STAGES, PLAIN_STAGE_NAMES, runs, event, "where the CPU goes, from the snapshot")
    _stages(STAGES, STAGE_NAMES, runs, event, "and from the engine, when it must answer")


def print_notify_cold(rows: list[tuple[str, str, str]], runs: int) -> None:
    a, b, c, d = notify_cold(runs)
    print(f"cold start of a command: quyche notify ONE.yaml --json against python -c "
          f"{FLOOR!r} (fresh processes, interleaved, medians of {runs})")  # fmt: skip
    for i, what in ((0, "wall"), (1, "CPU")):
        ma, mb = statistics.median(x[i] for x in a), statistics.median(x[i] for x in b)
        paired = statistics.median(x[i] / y[i] for x, y in zip(a, b, strict=True))
        print(f"  {what}: notify {ma * 1000:.0f} ms, floor {mb * 1000:.0f} ms; "
              f"median of paired ratios {paired:.2f}×")  # fmt: skip
        rows.append(verdict(f"notify --json / floor, {what} (medians)", ma / mb, 2))
        mc = statistics.median(x[i] for x in c)
        print(f"  (through the Typer app: {mc * 1000:.0f} ms, {mc / mb:.2f}× the floor)")
        md = statistics.median(x[i] for x in d)
        print(f"  (caches off, QUYCHE_NO_CACHE=1: {md * 1000:.0f} ms, {md / mb:.2f}× the floor)")
    print_stages(runs, str(sorted((ROOT / "examples" / "events").glob("*.yaml"))[0]))


RATE = """
import json, sys, time
from quyche_rules.engine.engine import Engine
load = json.load(open(sys.argv[1]))
n = int(sys.argv[2])
e = Engine(backend=sys.argv[3])
for ev in load[:200]:
    e.who_must_be_notified(ev)
t = time.perf_counter()
for i in range(n):
    e.who_must_be_notified(load[i % len(load)])
print(n / (time.perf_counter() - t))
"""


def before_rate(load_file: str, n: int, backend: str) -> float | None:
    """events/s of the code at ``BEFORE`` on the same load, from a ``git archive`` of it."""
    with tempfile.TemporaryDirectory() as tmp:
        env = _before_tree(tmp)
        if env is None:
            return None
        out = subprocess.check_output(
            [sys.executable, "-c", RATE, load_file, str(n), backend], env=env, text=True
        )
        return float(out)


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * 4096 / 2**20


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=1_000_000, help="mixed load size")
    ap.add_argument("--before-events", type=int, default=100_000, help="load for today's code")
    ap.add_argument("--rounds", type=int, default=200)
    ap.add_argument("--cold-runs", type=int, default=9, help="runs of the command cold start")
    ap.add_argument(
        "--cold-only", action="store_true", help="only the cold start of quyche notify --json"
    )
    args = ap.parse_args()
    rows: list[tuple[str, str, str]] = []
    if args.cold_only:
        print_notify_cold(rows, args.cold_runs)
        print_rows(rows)
        return

    events = load_events()
    durable = Engine(backend="durable")
    cold_durable = Engine(backend="durable", durable_memo=0)
    python = Engine(backend="python")
    parsed = [parse_event(e) for e in events]
    facts = [python.fact(p) for p in parsed]
    n = len(events) * args.rounds
    print(f"{len(events)} example events × {args.rounds} rounds = {n:,} queries per line")

    print("floors")
    a = line("(a) bare durable assert+retract", mean_ns(bare_durable(durable), facts, args.rounds))
    b = line(
        "(b) bare dict-of-predicates",
        mean_ns(bare_predicates(python.triggers), facts, args.rounds),
    )
    reg = python.parties
    c = line(
        "(c) validate + fact + generated matcher + list",
        mean_ns(
            lambda e: list(python.backend.match(python.fact(parse_event(e, registry=reg)))),
            events,
            args.rounds,
        ),
    )
    print("queries")
    pm = line("python: match only", mean_ns(python.backend.match, facts, args.rounds))
    line("durable: match only (memo off)", mean_ns(cold_durable.backend.match, facts, args.rounds))
    pw = line("python: who_must_be_notified", mean_ns(python.who_must_be_notified, events, 50))
    for e in events:
        durable.who_must_be_notified(e)  # warm the memo: every fact seen
    dh = line(
        "durable: who_must_be_notified, memo hits",
        mean_ns(durable.who_must_be_notified, events, args.rounds),
    )
    dmiss = line(
        "durable: who_must_be_notified, memo misses",
        mean_ns(cold_durable.who_must_be_notified, events, args.rounds),
    )
    building = max(pw - pm, 0.0)  # validation + projection + obligations, without matching
    print("ratios")
    rows.append(verdict("python who_must_be_notified / composite floor (c)", pw / c, 2))
    rows.append(verdict("durable, memo hits / composite floor (c)", dh / c, 2))
    rows.append(verdict("durable, memo misses / composite floor (c)", dmiss / c, 2))
    rows.append(verdict("durable, memo misses / ((a) + building)", dmiss / (a + building), 1.3))
    rows.append(verdict("python match / (b)", pm / b, 2))

    print("growth (python matcher, synthetic rulebooks)")
    base_match = None
    for factor in (1, 10, 100):
        ts = grown(python.triggers, factor)
        m = line(
            f"×{factor}: {len(ts):,} triggers, match only",
            mean_ns(PythonBackend(ts).match, facts, args.rounds),
        )
        base_match = base_match or m
        if factor > 1:
            rows.append(verdict(f"match ×{factor} / ×1", m / base_match, 2 if factor == 10 else 5))

    print("growth (durable-rules, the same synthetic rulebooks, split into rulesets)")
    for factor in (1, 10, 100):
        ts = grown(python.triggers, factor)
        rss0 = rss_mb()
        t0 = time.perf_counter()
        backend = DurableBackend(ts, memo_size=0)
        built = time.perf_counter() - t0
        m = line(
            f"×{factor}: {backend.rulesets} ruleset(s), built in {built:.2f} s, "
            f"+{rss_mb() - rss0:.0f} MB, match only",
            mean_ns(backend.match, facts, args.rounds),
        )
        assert all(backend.match(f) == PythonBackend(ts).match(f) for f in facts[:200])
        backend.close()

    cold, cold_before = cold_pair()
    print("cold start (import + load + compile, fresh interpreter, median of 5, interleaved)")
    if cold_before is not None:
        print(f"  at {BEFORE}: {cold_before:.0f} ms; now: {cold:.0f} ms")
        rows.append((f"cold start now / at {BEFORE}", f"{cold / cold_before:.2f}×", "(context)"))
    rows.append(verdict("cold start, ms (parse cache warm)", cold, 250, " ms"))
    print_notify_cold(rows, args.cold_runs)

    print("JSON out (per event)")
    adapter = TypeAdapter(list[Obligation])
    obs = [python.who_must_be_notified(e) for e in events]
    ind = mean_ns(
        lambda o: json.dumps(
            [x.model_dump(mode="json") for x in o], ensure_ascii=False, indent=2, default=str
        ),
        obs,
        20,
    )
    line("json.dumps(indent=2) of model_dump (before)", ind)
    line(
        "compact json.dumps of model_dump (--json now)",
        mean_ns(
            lambda o: json.dumps(
                [x.model_dump(mode="json") for x in o],
                ensure_ascii=False,
                separators=(",", ":"),
                default=str,
            ),
            obs,
            20,
        ),
    )
    line("TypeAdapter(list[Obligation]).dump_json", mean_ns(adapter.dump_json, obs, 20))

    if args.events == 0:  # --events 0: the per-query figures only
        print_rows(rows)
        return
    load = mixed_load(events, 2000)
    print(f"mixed load: {args.events:,} events cycling over {len(load):,} distinct ones")
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump(load, fh, ensure_ascii=False)
    today = {bk: before_rate(fh.name, args.before_events, bk) for bk in ("durable", "python")}
    for bk, engine in (("durable", Engine(backend="durable")), ("python", python)):
        for ev in load[:200]:
            engine.who_must_be_notified(ev)
        before = rss_mb()
        t = time.perf_counter()
        for i in range(args.events):
            engine.who_must_be_notified(load[i % len(load)])
        rate = args.events / (time.perf_counter() - t)
        after = rss_mb()
        old = today[bk]
        print(
            f"  {bk}: {rate:,.0f} ev/s now, {old or float('nan'):,.0f} ev/s at {BEFORE}; "
            f"RSS {before:.1f} → {after:.1f} MB"
        )
        if old:
            ratio = rate / old
            ok = "met" if ratio >= 5 else "NOT met"
            print(f"  {bk + ' events/s now / at ' + BEFORE:<58} {ratio:7.2f}×  [≥ 5×]  {ok}")
            rows.append((f"{bk} events/s now / at {BEFORE}", f"{ratio:.2f}×", f"≥ 5× {ok}"))
        rows.append(verdict(f"{bk}: RSS growth over the load (MB)", after - before, 5, " MB"))
    Path(fh.name).unlink()

    print_rows(rows)


def print_rows(rows: list[tuple[str, str, str]]) -> None:
    """The figures as the README's Markdown table."""
    print("\n| figure | measured | target |\n|---|---|---|")
    for name, value, target in rows:
        print(f"| {name} | {value} | {target} |")


if __name__ == "__main__":
    main()
