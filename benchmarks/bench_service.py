"""Speed of ``POST /v1/notify`` over HTTP on loopback, against baselines in the same run.

Figures printed (never asserted: the machines here are small and shared):
  * requests/s, p50 and p99 of notify with N concurrent clients, against ``quyche serve``
    (one uvicorn worker, SQLite decision log, rate limit off), with the default
    ``--sqlite-sync full`` (every decision fsynced), with ``normal``, and with the full
    FastAPI stack alone (``--no-fast-path``, fsynced too);
  * baseline (a): the library call ``Engine.who_must_be_notified`` on the same events;
  * baseline (b): a bare FastAPI endpoint returning a constant, on the same uvicorn, same
    client, same concurrency: the floor of HTTP + ASGI + JSON on this machine;
  * baseline (c): the same bare endpoint storing one row of a decision's mean size in
    SQLite (WAL, ``synchronous=FULL``: one fsync per request, no group commit) before it
    answers: what durability alone costs on this machine's disk, which no service that
    syncs each decision before answering can go under at one client;
  * where the time goes: each step of a notify request timed alone, in process (key
    look-up, event validation, engine, JSON, receipt, decision log append);
  * each server's CPU per request (user + system, from ``/proc``, Linux), which says
    whether a gap is CPU or waiting (fsync, scheduling), and the benchmark client's own
    (it shares the machine: at 8 clients it is what limits the bare endpoint).

The four servers run side by side and are measured in interleaved rounds (``--rounds``,
default 3), so the drift of a shared machine falls on each alike; the ratios are the
medians' and each round's. Bounded in count and time: at most ``--requests`` per
configuration and round (default 600) and ``--seconds`` each (default 5). Run:
``.venv/bin/python benchmarks/bench_service.py``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
import yaml

from quyche_rules.engine.engine import Engine
from quyche_rules.model.event_checks import parse_event
from quyche_rules.service.auth import authenticate, new_key
from quyche_rules.service.decide import commit, event_parties, prepare
from quyche_rules.service.quota import check_kept
from quyche_rules.service.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
QUYCHE = str(Path(sys.executable).with_name("quyche"))

BARE_APP = """
import uvicorn
from fastapi import FastAPI
app = FastAPI()
@app.post("/v1/notify")
def notify() -> dict:
    return {"obligations": [], "receipt": None}
uvicorn.run(app, host="127.0.0.1", port={port}, log_level="warning", access_log=False)
"""


BARE_DURABLE_APP = """
import sqlite3, threading, uuid
import uvicorn
from fastapi import FastAPI
db = sqlite3.connect({path!r}, check_same_thread=False, isolation_level=None)
db.execute("PRAGMA journal_mode=WAL")
db.execute("PRAGMA synchronous=FULL")
db.execute("CREATE TABLE IF NOT EXISTS d (id TEXT PRIMARY KEY, row TEXT NOT NULL)")
lock = threading.Lock()
ROW = "x" * {size}
app = FastAPI()
@app.post("/v1/notify")
def notify() -> dict:
    with lock:
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO d VALUES (?, ?)", (str(uuid.uuid4()), ROW))
        db.execute("COMMIT")
    return {"obligations": [], "receipt": None}
uvicorn.run(app, host="127.0.0.1", port={port}, log_level="warning", access_log=False)
"""
BARE = "bare FastAPI constant (b)"
DURABLE = "bare FastAPI + one fsynced row (c)"


def load_events() -> list[dict[str, Any]]:
    out = []
    for p in sorted((ROOT / "examples" / "events").glob("*.yaml")):
        out.append(json.loads(json.dumps(yaml.safe_load(p.read_text("utf-8")), default=str)))
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far (Linux ``/proc``; 0.0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def server(cmd: list[str], port: int) -> Iterator[tuple[str, int]]:
    proc = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                httpx.get(base + "/docs", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        yield base, proc.pid
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)


def pct(ns: list[float], q: float) -> float:
    s = sorted(ns)
    return s[min(len(s) - 1, int(len(s) * q))]


def line(name: str, lat_s: list[float], rate: float, cpu: float | None = None) -> None:
    used = f"   server CPU {cpu / len(lat_s) * 1000:5.2f} ms/req" if cpu else ""
    print(
        f"  {name:<40} {rate:9,.0f} req/s   p50 {pct(lat_s, 0.5) * 1000:7.2f} ms"
        f"   p99 {pct(lat_s, 0.99) * 1000:7.2f} ms   (n={len(lat_s)}){used}"
    )


async def load(
    base: str, key: str, events: list[dict[str, Any]], clients: int, total: int, seconds: float
) -> tuple[list[float], float]:
    """``clients`` concurrent connections, each sending events one after another."""
    lat: list[float] = []
    stop = time.perf_counter() + seconds
    counter = iter(range(total))
    headers = {"Authorization": f"Bearer {key}"}
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits) as client:

        async def worker() -> None:
            for i in counter:
                if time.perf_counter() > stop:
                    return
                t = time.perf_counter()
                r = await client.post("/v1/notify", json=events[i % len(events)])
                lat.append(time.perf_counter() - t)
                if r.status_code != 200:
                    raise RuntimeError(f"HTTP {r.status_code}: {r.text}")

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        elapsed = time.perf_counter() - start
    return lat, len(lat) / elapsed


def timed(fn: Callable[[], Any], n: int) -> float:
    """Mean seconds per call of ``fn`` over ``n`` calls."""
    t = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - t) / n


def breakdown(db_url: str, events: list[dict[str, Any]], n: int) -> None:
    from quyche_rules.service.app import create_app
    from quyche_rules.service.deps import Services
    from quyche_rules.service.logwriter import DecisionWriter
    from quyche_rules.service.store import Store

    app = create_app(Settings(db_url=db_url, rate_per_minute=0, access_log=False))
    svc = app.state.services
    key, _ = new_key(svc.store, party=None, admin=True)
    who = authenticate(svc.store, key, svc.keys)  # read once: kept from here on
    assert who is not None
    check_kept(svc, who, read=True)
    parsed = [parse_event(e) for e in events]
    obs = [svc.engine.who_must_be_notified(p) for p in parsed]
    i = iter(range(10**9))

    def ev() -> Any:
        return parsed[next(i) % len(parsed)]

    steps: dict[str, Callable[[], Any]] = {
        "key look-up, not kept (SQLite SELECT + sha256)": lambda: authenticate(svc.store, key),
        "key look-up, kept (what a busy key costs)": lambda: authenticate(
            svc.store, key, svc.keys, read=False
        ),
        "quota pre-check, kept count": lambda: check_kept(svc, who),
        "event validation (Pydantic)": lambda: parse_event(events[next(i) % len(events)]),
        "engine (match + build obligations)": lambda: svc.engine.who_must_be_notified(ev()),
        "obligations to JSON": lambda: json.dumps(
            [o.model_dump(mode="json") for o in obs[next(i) % len(obs)]], default=str
        ),
        "receipt (canonical JSON, sha256, uuid)": lambda: prepare(
            svc, "notify", ev().model_dump(mode="json"), event_parties(ev()), []
        ),
        "decision log append (SQLite, WAL, sync FULL)": lambda: commit(
            svc, who, [prepare(svc, "notify", {"x": 1}, [], [])]
        ),
    }
    normal_store = Store(db_url + "-normal", sqlite_sync="normal")
    normal_store.create_tables()
    normal = Services(**{**vars(svc), "store": normal_store, "log": DecisionWriter(normal_store)})
    total = 0.0
    for name, fn in steps.items():
        per = timed(fn, n)
        total += 0.0 if "not kept" in name else per  # a busy key is kept: not in the sum
        print(f"  {name:<46} {per * 1e6:9.1f} µs")
    print(f"  {'sum of the steps (the key kept)':<46} {total * 1e6:9.1f} µs")
    per = timed(lambda: commit(normal, who, [prepare(normal, "notify", {"x": 1}, [], [])]), n)
    print(f"  {'(decision log append with --sqlite-sync normal)':<46} {per * 1e6:9.1f} µs")
    # group commit: 8 threads appending at once share transactions (and fsyncs)
    before, count = svc.log.transactions, 4 * n
    start = time.perf_counter()
    with ThreadPoolExecutor(8) as pool:
        list(
            pool.map(
                lambda _: commit(svc, who, [prepare(svc, "notify", {"x": 1}, [], [])]),
                range(count),
            )
        )
    elapsed = time.perf_counter() - start
    print(
        f"  group commit, 8 threads, sync FULL: {count / elapsed:,.0f} decisions/s in "
        f"{svc.log.transactions - before} transactions for {count} decisions"
    )


TARGETS = {1: 0.7, 8: 0.8}  # notify's requests/s over the bare endpoint's, with fsync


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=600, help="per configuration and round")
    ap.add_argument("--seconds", type=float, default=5.0, help="per configuration and round")
    ap.add_argument("--rounds", type=int, default=3, help="rounds, configurations interleaved")
    ap.add_argument("--clients", type=int, nargs="+", default=[1, 8])
    args = ap.parse_args()
    events = load_events()
    print(f"{len(events)} example events; {os.cpu_count()} CPUs; loopback only")

    engine = Engine()
    lib = []
    for _ in range(max(1, args.requests // len(events))):
        for e in events:
            t = time.perf_counter()
            engine.who_must_be_notified(e)
            lib.append(time.perf_counter() - t)
    print(f"library, backend {engine.backend.name} (baseline a):")
    line("who_must_be_notified", lib, len(lib) / sum(lib))
    # what a decision's row stores, on average: the obligations, the receipt and the input
    row_size = statistics.mean(
        len(json.dumps([o.model_dump(mode="json") for o in engine.who_must_be_notified(e)]))
        + len(json.dumps(e))
        + 600
        for e in events
    )

    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        db = f"sqlite:///{tmp}/bench.db"
        made = subprocess.run(
            [QUYCHE, "keys", "create", "--admin", "--db", db],
            capture_output=True,
            text=True,
            check=True,
        )
        key = made.stdout.strip()
        ports = [free_port() for _ in range(5)]
        serve = [QUYCHE, "serve", "--db", db, "--rate-per-minute", "0"]
        bare = [sys.executable, "-c", BARE_APP.replace("{port}", str(ports[0]))]
        durable = BARE_DURABLE_APP.replace("{path!r}", repr(f"{tmp}/durable.db"))
        durable = durable.replace("{size}", str(int(row_size))).replace("{port}", str(ports[4]))
        configs = {
            BARE: bare,
            "quyche serve": [*serve, "--port", str(ports[1])],
            "quyche serve --sqlite-sync normal": [
                *serve, "--port", str(ports[2]), "--sqlite-sync", "normal"
            ],
            "quyche serve --no-fast-path": [*serve, "--port", str(ports[3]), "--no-fast-path"],
            DURABLE: [sys.executable, "-c", durable],
        }  # fmt: skip
        # all five run at once, idle but for the one being measured; the rounds interleave
        # them so that the machine's drift (it is shared) falls on each alike
        bases = {
            name: stack.enter_context(server(cmd, port))
            for (name, cmd), port in zip(configs.items(), ports, strict=True)
        }
        rates: dict[tuple[str, int], list[float]] = {}
        cpus: dict[tuple[str, int], list[float]] = {}  # server CPU seconds per request
        mine: dict[tuple[str, int], list[float]] = {}  # the client's CPU seconds per request
        for c in args.clients:
            for base, _ in bases.values():
                asyncio.run(load(base, key, events, c, 40, 5))  # warm up
            for r in range(args.rounds):
                for name, (base, pid) in bases.items():
                    before, own = cpu_seconds(pid), time.process_time()
                    lat, rate = asyncio.run(load(base, key, events, c, args.requests, args.seconds))
                    rates.setdefault((name, c), []).append(rate)
                    used = cpu_seconds(pid) - before
                    mine.setdefault((name, c), []).append((time.process_time() - own) / len(lat))
                    cpus.setdefault((name, c), []).append(used / len(lat))
                    line(f"round {r + 1}, {c} client(s): {name}", lat, rate, used)
        print("ratios (median of the rounds; every receipt fsynced unless 'normal'):")
        lib_rate = len(lib) / sum(lib)
        for c in args.clients:
            bare_rates = rates[(BARE, c)]
            b = statistics.median(bare_rates)
            for name in (
                "quyche serve",
                "quyche serve --sqlite-sync normal",
                "quyche serve --no-fast-path",
                DURABLE,
            ):
                s = statistics.median(rates[(name, c)])
                paired = [x / y for x, y in zip(rates[(name, c)], bare_rates, strict=True)]
                fsynced = c in TARGETS and name == "quyche serve"
                target = f" (target ≥ {TARGETS[c]}×)" if fsynced else ""
                print(
                    f"  {c} client(s), {name}: {s / b:5.2f} × bare FastAPI{target}; per round "
                    f"{', '.join(f'{p:.2f}' for p in paired)}; {s / lib_rate:6.3f} × library"
                )
                if cpus.get((name, c)) and min(cpus[(BARE, c)]) > 0:
                    # CPU per request drifts less than requests/s on a shared machine
                    used = statistics.median(cpus[(name, c)])
                    bare_cpu = statistics.median(cpus[(BARE, c)])
                    print(f"      server CPU per request: {used / bare_cpu:4.2f} × bare FastAPI's")
            d = statistics.median(rates[(DURABLE, c)])
            q = statistics.median(rates[("quyche serve", c)])
            print(
                f"  {c} client(s), quyche serve against the durable floor (c): {q / d:5.2f} ×; "
                "the benchmark client's own CPU per request: "
                + ", ".join(
                    f"{n} {statistics.median(mine[(n, c)]) * 1000:.2f} ms"
                    for n in (BARE, "quyche serve", DURABLE)
                )
            )
        print("where the time of one notify goes (in process, mean per call):")
        breakdown(f"sqlite:///{tmp}/breakdown.db", events, 200)


if __name__ == "__main__":
    main()
